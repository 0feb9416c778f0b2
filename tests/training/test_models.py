"""Model topologies: the paper's seed_cnn exactly, and the size budget of the default model."""

import numpy as np
import pytest

pytest.importorskip("keras")
pytestmark = pytest.mark.train

from keras import layers  # noqa: E402

from training.models import build, seed_cnn  # noqa: E402


def test_seed_cnn_is_the_papers_larger_cnn() -> None:
    model = seed_cnn()
    summary = [
        (type(layer).__name__, getattr(layer, "filters", None) or getattr(layer, "units", None))
        for layer in model.layers
    ]
    assert summary == [
        ("Conv2D", 30),
        ("MaxPooling2D", None),
        ("Conv2D", 15),
        ("MaxPooling2D", None),
        ("Dropout", None),
        ("Flatten", None),
        ("Dense", 128),
        ("Dense", 50),
        ("Dense", 10),
    ]
    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    assert [c.kernel_size for c in convs] == [(5, 5), (3, 3)]
    assert model.layers[4].rate == pytest.approx(0.2)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert model.count_params() == 59_933


def test_mlp_is_one_hidden_layer_of_784() -> None:
    model = build("mlp")
    dense = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
    assert [d.units for d in dense] == [784, 10]
    assert model.count_params() == 784 * 784 + 784 + 784 * 10 + 10


@pytest.mark.parametrize(
    ("name", "classes"),
    [("seed_cnn", 10), ("mlp", 10), ("digits", 11), ("cnn_depth1", 10), ("cnn_depth5", 10)],
)
def test_models_map_images_to_probabilities(name: str, classes: int) -> None:
    """Softmax over the digits; the default model's 11th class is "not a digit"."""
    model = build(name)
    probabilities = np.asarray(model(np.zeros((3, 28, 28, 1), dtype=np.float32)))
    assert probabilities.shape == (3, classes)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_default_model_stays_small() -> None:
    assert build("digits").count_params() <= 2_000_000


def test_depth_study_models_grow_by_one_conv_layer() -> None:
    convs = [
        sum(isinstance(layer, layers.Conv2D) for layer in build(f"cnn_depth{depth}").layers)
        for depth in range(1, 6)
    ]
    assert convs == [1, 2, 3, 4, 5]


def test_unknown_model_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown model"):
        build("resnet")
