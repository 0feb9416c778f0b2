"""`python -m training train|export|evaluate|compare` (and `realistic` when that module exists)."""

import importlib.util
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from training.data import DEFAULT_DATA_DIR, load_mnist, load_split

app = typer.Typer(
    help="Train, export, evaluate and compare the digits models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"

DataDir = Annotated[Path, typer.Option(help="Directory with the four MNIST IDX files.")]


@app.command()
def train(
    model: Annotated[str, typer.Argument(help="seed_cnn, mlp, digits or cnn_depthN.")],
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Override the preset's epochs.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Override the preset's batch.")] = None,
    limit: Annotated[int | None, typer.Option(help="Train on the first N images only.")] = None,
    ship: Annotated[Path | None, typer.Option(help="Also export to this .onnx + card.")] = None,
    name: Annotated[str | None, typer.Option(help="Card name (default: the model).")] = None,
    version: Annotated[str, typer.Option(help="Card version.")] = "1.0.0",
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Train MODEL, save runs/<run>.keras and reports/results/<run>.json."""
    from training.train import preset, save_run
    from training.train import train as fit

    config = preset(model, seed=seed, epochs=epochs, batch_size=batch_size, train_limit=limit)
    train_split, test_split = load_mnist(data_dir)
    console.print(f"training {config}")
    result = fit(config, train_split, test_split)
    keras_path = save_run(result)
    console.print(
        f"{config.run_id}: test accuracy {result.test_accuracy:.4%} "
        f"(error {1 - result.test_accuracy:.2%}), {result.train_seconds:.0f} s → {keras_path}"
    )
    if ship:
        export(keras_path, ship, name=name or model, version=version, data_dir=data_dir)


@app.command()
def export(
    keras_path: Annotated[Path, typer.Argument(help="A saved run: runs/<run>.keras.")],
    out: Annotated[Path, typer.Argument(help="Where to write the .onnx (card next to it).")],
    name: Annotated[str, typer.Option(help="Model name in the card.")],
    version: Annotated[str, typer.Option(help="Model version in the card.")] = "1.0.0",
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Export a saved Keras run to ONNX, check parity on the test set, write the model card."""
    from training.publish import publish

    reference = MODELS_DIR / "seed_cnn.onnx"
    shipped = publish(
        keras_path,
        out,
        name=name,
        version=version,
        test=load_split("test", data_dir),
        latency_reference=reference if name != "seed_cnn" else None,
    )
    console.print(
        f"{out}: ONNX test accuracy {shipped['accuracy']:.4%}, "
        f"parity max |Δ| {shipped['parity_max_abs_diff']:.1e}, "
        f"batch-1 latency {shipped['batch1_ms_1thread']:.3f} ms; card {out.with_suffix('.json')}"
    )


@app.command()
def evaluate(
    model_path: Annotated[Path, typer.Argument(help="An .onnx model file.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Run an ONNX model with onnxruntime on the MNIST test set: accuracy, error, per digit."""
    from training.evaluate import evaluate_onnx

    if not model_path.is_file():
        raise typer.BadParameter(f"model file not found: {model_path}")
    result = evaluate_onnx(model_path, load_split("test", data_dir))
    table = Table(title=f"{model_path} on MNIST test (onnxruntime)")
    for column in ("digit", "images", "correct", "accuracy"):
        table.add_column(column, justify="right")
    for digit, count, correct, accuracy in result.per_digit():
        table.add_row(str(digit), f"{count:,}", f"{correct:,}", f"{accuracy:.2%}")
    console.print(table)
    console.print(
        f"accuracy {result.accuracy:.4%}  error {result.error:.2%}  "
        f"({result.errors} of {len(result.labels):,} wrong)"
    )


@app.command()
def compare(
    svm_limit: Annotated[
        int | None, typer.Option(help="Train the SVM on the first N images only.")
    ] = None,
    retrain: Annotated[
        bool, typer.Option(help="Retrain runs even if reports/results has them.")
    ] = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The study: SVM vs MLP vs CNNs, depth and epoch curves → reports/comparison.md."""
    from training.compare import run_study

    report = run_study(data_dir=data_dir, svm_limit=svm_limit, retrain=retrain)
    console.print(f"wrote {report}")


def add_realistic_command() -> None:
    """Mount `realistic` from training/realistic.py (the real-scans work) when it exists.

    That module exposes `command`, a typer-annotated function.
    """
    if importlib.util.find_spec("training.realistic") is None:
        return
    from training import realistic

    app.command("realistic")(realistic.command)


add_realistic_command()
