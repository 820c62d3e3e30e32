"""Plot helpers return figures with the expected content (drawn headless)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnedu.models import LeNet5  # noqa: E402
from nnedu.plotting import plot_confusion_matrix, plot_filters, plot_history, plot_image_grid  # noqa: E402
from nnedu.train import History  # noqa: E402


def _history():
    return History(step_loss=[2.3, 1.0, 0.8, 0.5, 0.4, 0.3], train_loss=[1.5, 0.6, 0.35], train_acc=[0.6, 0.85, 0.9],
                   val_loss=[0.9, 0.5, 0.45], val_acc=[0.8, 0.88, 0.87], lr=[0.1, 0.05, 0.01],
                   seconds=[1.0, 1.0, 1.0], best_epoch=2, best_val_acc=0.88)


def test_plot_history_draws_loss_and_accuracy():
    fig = plot_history(_history(), val_label="test", title="run")
    ax_loss, ax_acc = fig.axes
    labels = [line.get_label() for line in ax_loss.get_lines()]
    assert labels == ["batch loss", "train loss", "test loss"]  # too few steps for a moving average
    batch = ax_loss.get_lines()[0]
    np.testing.assert_allclose(batch.get_xdata(), [0.5, 1, 1.5, 2, 2.5, 3])  # in epochs
    acc_lines = [line for line in ax_acc.get_lines() if line.get_label() in ("train", "test")]
    np.testing.assert_allclose(acc_lines[1].get_ydata(), [80, 88, 87])
    plt.close(fig)
    # overlaying a second run on the same axes
    fig, axes = plt.subplots(1, 2)
    plot_history(_history(), axes=axes, label="A")
    plot_history(_history(), axes=axes, label="B")
    assert sum(line.get_label().startswith("B") for line in axes[0].get_lines()) == 3
    plt.close(fig)


def test_plot_confusion_matrix_writes_counts():
    m = np.array([[50, 2], [0, 48]])
    fig = plot_confusion_matrix(m, class_names=["a", "b"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["2", "48", "50"]  # zero cells left blank
    assert fig.axes[0].get_xlabel() == "predicted class"
    plt.close(fig)


def test_image_grid_and_filters():
    imgs = np.random.default_rng(0).random((10, 1, 28, 28))
    fig = plot_image_grid(imgs, titles=[str(i) for i in range(10)], ncols=4)
    assert len(fig.axes) == 12 and fig.axes[3].get_title() == "3"
    plt.close(fig)
    model = LeNet5(rng=0)
    fig = plot_filters(model.c1.weight.data)
    assert len(fig.axes) == 6
    plt.close(fig)
    fig = plot_filters(model.c3.weight.data)  # 16 filters x 6 input channels, one row each
    assert len(fig.axes) == 96
    plt.close(fig)
    with pytest.raises(ValueError, match="expected images"):
        plot_image_grid(np.zeros((2, 3, 4, 5, 6)))


def test_plot_history_smooths_long_runs_and_marks_restored_epoch():
    rng = np.random.default_rng(0)
    hist = History(step_loss=list(np.exp(-np.linspace(0, 3, 200)) + 0.1 * rng.random(200)),
                   train_loss=[0.8, 0.3], train_acc=[0.7, 0.9], val_loss=[0.4, 0.5], val_acc=[0.85, 0.8],
                   lr=[0.1, 0.1], best_epoch=1, best_val_acc=0.85, restored_best=True)
    fig = plot_history(hist)
    ax_loss, ax_acc = fig.axes
    smooth = next(line for line in ax_loss.get_lines() if "mean of 10" in line.get_label())
    assert len(smooth.get_ydata()) == 191
    assert any(line.get_label() == "best (restored)" for line in ax_acc.get_lines())
    plt.close(fig)


def test_plot_decision_regions_one_marker_and_legend_entry_per_class():
    from nnedu.plotting import CLASS_MARKERS, plot_decision_regions

    xx, yy = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    regions = (xx > 0).astype(int) + (yy > 0.5)
    X = np.array([[-0.5, 0.0], [0.5, 0.0], [0.5, 0.8], [-0.6, -0.1]])
    y = np.array([0, 1, 2, 0])
    fig, ax = plt.subplots()
    plot_decision_regions(ax, xx, yy, regions, X, y, class_names=["a", "b", "c"])
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b", "c"]
    assert legend.get_texts()[0].get_fontsize() >= 9
    assert [len(c.get_offsets()) for c in ax.collections[-3:]] == [2, 1, 1]   # the points, by class
    assert len({c.get_paths()[0].vertices.tobytes() for c in ax.collections[-3:]}) == 3  # three markers
    assert CLASS_MARKERS[:3] == ("o", "s", "^")
    plt.close(fig)
    # the regions are told apart without colour: a hatching per class and black boundary lines
    fig, ax = plt.subplots()
    calls = []
    for method in ("contour", "contourf"):
        original = getattr(ax, method)
        setattr(ax, method, lambda *a, _m=method, _f=original, **kw: calls.append((_m, kw)) or _f(*a, **kw))
    plot_decision_regions(ax, xx, yy, regions, X, y)
    hatches = [kw["hatches"] for m, kw in calls if m == "contourf"][0]
    assert len(hatches) == 3 and len(set(hatches)) == 3
    lines = [kw for m, kw in calls if m == "contour"]
    assert len(lines) == 3 and all(kw["colors"] == "k" for kw in lines)   # one edge per class present
    plt.close(fig)
    with pytest.raises(ValueError, match="at most 8 classes"):
        plot_decision_regions(plt.subplots()[1], xx, yy, regions, X, np.array([0, 1, 2, 9]))


def test_plot_maps_shares_one_scale_and_has_a_colour_bar():
    from nnedu.plotting import plot_maps
    maps = np.stack([np.full((4, 4), v) for v in (-2.0, 0.5, 1.0)])
    fig = plot_maps(maps, titles=["a", "b", "c"], symmetric=True, label="weight")
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 3 and all(im.get_clim() == (-2.0, 2.0) for im in images)
    colorbars = [ax for ax in fig.axes if ax.get_ylabel() == "weight"]
    assert len(colorbars) == 1
    plt.close(fig)
    fig = plot_maps(maps[:, None], ncols=2)                   # (n, 1, H, W), min-max scale
    assert [im.get_clim() for ax in fig.axes for im in ax.get_images()][0] == (-2.0, 1.0)
    plt.close(fig)
    with pytest.raises(ValueError, match="plot_maps"):
        plot_maps(np.zeros((4, 4)))


def test_plot_maps_shows_maps_of_different_sizes_on_a_fixed_scale():
    from nnedu.plotting import plot_maps
    digit, pooled = np.linspace(0, 0.8, 28 * 28).reshape(28, 28), np.full((14, 14), 0.5)
    fig = plot_maps([digit, pooled], ["28x28", "14x14"], cmap="gray", vmin=0, vmax=1, label="pixel value")
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert [im.get_array().shape for im in images] == [(28, 28), (14, 14)]
    assert all(im.get_clim() == (0, 1) for im in images)
    assert [ax.get_ylabel() for ax in fig.axes].count("pixel value") == 1
    plt.close(fig)
    fig = plot_maps([digit, pooled])                           # default scale: over all the maps
    assert fig.axes[0].get_images()[0].get_clim() == (0.0, 0.8)
    plt.close(fig)
    with pytest.raises(ValueError, match="plot_maps"):
        plot_maps([])


def test_plot_curves_tells_curves_apart_without_colour():
    from nnedu.plotting import plot_curves
    fig = plot_curves({"a": [1, 2, 3], "b": [3, 2, 1], "c": [2, 2, 2]}, "epoch", "loss", logy=True)
    lines = fig.axes[0].get_lines()
    assert len({(str(l.get_linestyle()), l.get_marker()) for l in lines}) == 3
    assert fig.axes[0].get_legend().get_texts()[0].get_fontsize() >= 9
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())


def test_plot_computational_graph_tells_paths_apart_without_colour():
    from nnedu.plotting import plot_computational_graph
    nodes = {"x": (0, 0, "$x$"), "m": (1, 1, "$\\mu$"), "y": (2, 0, "$y$")}
    fig = plot_computational_graph(nodes, [("x", "m"), ("m", "y"), ("x", "y")],
                                   paths={("x", "y"): "direct", ("x", "m"): "via the mean"}, highlight=("x",))
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["a: direct", "b: via the mean"]
    assert [h.get_linestyle() for h in ax.get_legend().legend_handles] == ["-", "--"]
    assert ax.get_legend().get_texts()[0].get_fontsize() >= 9
    texts = [t.get_text() for t in ax.texts]
    assert {"$x$", "$\\mu$", "$y$", "a", "b"} <= set(texts)
    plt.close(fig)


def test_plot_pool_windows_labels_windows_and_ties():
    from nnedu.plotting import plot_pool_windows
    values = np.array([[1.0, 3.0], [3.0, 0.0]])
    fig = plot_pool_windows(values, windows=[(0, 0)], tie=[(0, 0)], k=2, title="t")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("3") == 2 and "1: tie" in texts
    (box,) = ax.patches
    assert box.get_hatch() == "//" and box.get_linewidth() > 3
    assert len(fig.axes) == 2                                    # the colour bar
    plt.close(fig)


def test_plot_curves_without_legend_and_with_sparse_markers():
    from nnedu.plotting import plot_curves
    fig, axes = plt.subplots(1, 2)
    plot_curves({"a": np.arange(100.0), "b": np.ones(100)}, "step", "y", ax=axes[0], markers=10)
    plot_curves({"a": np.arange(100.0), "b": np.ones(100)}, "step", "y", ax=axes[1], legend=False)
    assert axes[1].get_legend() is None and axes[0].get_legend() is not None
    assert axes[0].get_lines()[0].get_markevery() == 10           # 10 markers on 100 points
    assert axes[1].get_lines()[0].get_markevery() is None         # default: every point
    plt.close(fig)


def test_plot_maps_labels_rows_and_columns_and_keeps_a_single_row_readable():
    from nnedu.plotting import plot_maps
    fig = plot_maps(np.zeros((6, 5, 5)), ncols=3, row_labels=["filter 0", "filter 1"],
                    col_labels=["map 0", "map 1", "map 2"])
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"filter 0", "filter 1"} <= texts
    assert [ax.get_title() for ax in fig.axes[:3]] == ["map 0", "map 1", "map 2"]
    assert fig.axes[3].get_title() == ""
    plt.close(fig)
    fig = plot_maps(np.zeros((4, 28, 28)), cell=1.0)           # one row: at least 1.5 inches high
    assert fig.get_size_inches()[1] >= 1.5
    plt.close(fig)


def test_plot_curves_log_axis_within_a_decade_has_plain_tick_labels():
    import matplotlib.pyplot as plt

    from nnedu.plotting import plot_curves
    fig = plot_curves({"a": [1.2, 1.5, 1.8], "b": [1.3, 1.4, 1.9]}, "layer", "std", logy=True)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels(minor=True) + ax.get_yticklabels()]
    assert any(labels) and not any("10^" in t or "times" in t for t in labels), labels
    plt.close(fig)
    fig = plot_curves({"a": [1e-3, 1.0, 1e3]}, "layer", "std", logy=True)      # decades: matplotlib's 10^k
    fig.canvas.draw()
    assert any("10^" in t.get_text() for t in fig.axes[0].get_yticklabels())
    plt.close(fig)
