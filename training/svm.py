"""The scikit-learn baseline: PCA to a few dozen components, then an RBF support vector machine.

PCA first because an RBF SVM on 784 raw pixels × 60,000 images takes far longer; 50 components
keep almost all of the variance that matters for digits.
"""

import time
from typing import Any

from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC

from training.data import Split

COMPONENTS = 50
C = 10.0


def svm_pipeline(components: int = COMPONENTS, seed: int = 0) -> Pipeline:
    return make_pipeline(PCA(components, random_state=seed), SVC(C=C, kernel="rbf", gamma="scale"))


def run_svm(train: Split, test: Split, limit: int | None = None) -> dict[str, Any]:
    """Fit on the first `limit` training images (all when None), time it, score on the test set."""
    train = train.head(limit)
    flat_train = train.inputs().reshape(len(train), -1)
    flat_test = test.inputs().reshape(len(test), -1)
    pipeline = svm_pipeline()
    start = time.perf_counter()
    pipeline.fit(flat_train, train.labels)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    predictions = pipeline.predict(flat_test)
    predict_seconds = time.perf_counter() - start
    accuracy = float((predictions == test.labels).mean())
    svm = pipeline[-1]
    return {
        "run": f"svm_pca{COMPONENTS}" + (f"_n{limit}" if limit else ""),
        "config": {
            "model": "svm",
            "pca_components": COMPONENTS,
            "C": C,
            "gamma": "scale",
            "train_limit": limit,
        },
        "parameters": int(
            svm.support_vectors_.size + svm.dual_coef_.size + pipeline[0].components_.size
        ),  # numbers stored: support vectors, their weights, the PCA basis
        "support_vectors": len(svm.support_vectors_),
        "train_seconds": round(train_seconds, 2),
        "inference_ms_per_image": round(predict_seconds / len(test) * 1000, 4),
        "test_accuracy": round(accuracy, 6),
        "test_error": round(1 - accuracy, 6),
        "measured_with": "scikit-learn on MNIST t10k",
    }
