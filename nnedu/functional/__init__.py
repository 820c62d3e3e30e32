"""Stateless functions that the layers use and the notebooks show.

Each concept lives in its own file; they are all importable from here,
e.g. ``from nnedu.functional import im2col, softmax``.
"""
