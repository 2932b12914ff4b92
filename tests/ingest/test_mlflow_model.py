"""MLflow MLmodel files: the mlflow test resources, serialization formats, broken and hostile YAML."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mlspm.ingest.formats.mlflow_model import MlflowModel, serialization
from mlspm.ingest.source import take_sample

MLFLOW = "inventory/mlflow"
ANALYZER = Path(__file__).resolve().parents[2] / "analyzers/checks/supply/supply_model_pickle_in_prod.json"


def test_real_mlmodel_files_load(real_samples, ingest, query):
    report = ingest(real_samples / MLFLOW)
    assert [(f.path.name, f.status, f.format, f.counts.loaded, f.counts.rejected) for f in report.files] == [
        ("example_mlflow_1x_sklearn_model.MLmodel", "loaded", "mlflow_model", 1, 0),
        ("pyfunc_models_2.8.1.MLmodel", "loaded", "mlflow_model", 1, 0),
    ]
    # no registered name or artifact_path in either: named by the file, told apart by model_uuid
    assert query("SELECT asset_id, kind, version, format FROM assets ORDER BY 1") == [
        (
            "model:example_mlflow_1x_sklearn_model@4d622e7b02614d1eb71f44eeb927be4f",
            "model",
            "4d622e7b02614d1eb71f44eeb927be4f",
            "sklearn/cloudpickle",
        ),
        (
            "model:pyfunc_models_2.8.1@703a0a0700da449eab939ebdacd1a8e8",
            "model",
            "703a0a0700da449eab939ebdacd1a8e8",
            "python_function/cloudpickle",  # a custom PythonModel (python_model.pkl)
        ),
    ]
    tags = json.loads(str(query("SELECT tags FROM assets WHERE format LIKE 'sklearn%'")[0][0]))
    assert tags["pickle"] is True
    assert tags["loader_module"] == "mlflow.sklearn"
    assert tags["flavors"] == ["python_function", "sklearn"]
    assert tags["created"] == "2024-10-29T07:39:02.032550Z"  # utc_time_created, UTC without a zone
    # the pickled artifact next to the MLmodel is a locator: scanning it links the result here
    model_pkl = str(real_samples / MLFLOW / "model.pkl").lower()
    assert (model_pkl,) in query("SELECT locator FROM asset_locators")
    assert query("SELECT count(*) FROM lineage") == [(0,)]


def test_formats_use_the_pickle_analyzers_words(real_samples, ingest, query):
    ingest(real_samples / MLFLOW)
    params = json.loads(ANALYZER.read_text())["parameters"]
    pickle_words, safe_words = (
        set(params["pickle_formats"]["default"]),
        set(params["safe_formats"]["default"]),
    )
    for (fmt,) in query("SELECT format FROM assets"):
        words = set(re.split(r"[^a-z0-9]+", str(fmt).lower()))
        assert words & pickle_words and not words & safe_words, fmt


def test_serialization_of_other_flavors():
    assert serialization({"sklearn": {"serialization_format": "skops"}}) == ("sklearn/skops", False)
    assert serialization({"sklearn": {"serialization_format": "pickle"}}) == ("sklearn/pickle", True)
    assert serialization(
        {"python_function": {}, "pytorch": {"pickle_module_name": "mlflow.pytorch.pickle_module"}}
    ) == (
        "pytorch/pickle",
        True,
    )
    assert serialization(
        {"python_function": {"loader_module": "mlflow.onnx"}, "onnx": {"onnx_version": "1.15"}}
    ) == (
        "onnx",
        False,
    )
    assert serialization({"xgboost": {"model_format": "ubj"}}) == ("xgboost/ubj", False)


def test_run_and_artifact_path_make_the_name_and_uri(tmp_path, ingest, query):
    model_dir = tmp_path / "artifacts" / "model"
    model_dir.mkdir(parents=True)
    (model_dir / "config.yaml").write_text(  # any file name: the content says MLmodel
        "artifact_path: fraud\n"
        "flavors:\n"
        "  python_function: {loader_module: mlflow.pytorch, data: data, env: conda.yaml}\n"
        "  pytorch: {model_data: data, pytorch_version: 2.3.0}\n"
        "run_id: 0a1b2c\n"
        "model_uuid: 99\n"
        "utc_time_created: 2025-01-02 03:04:05.000006\n"  # unquoted: YAML reads a timestamp
    )
    result = ingest(model_dir / "config.yaml").files[0]
    assert (result.format, result.counts.loaded) == ("mlflow_model", 1)
    assert query("SELECT asset_id, uri, format, json_extract_string(tags, '$.created') FROM assets") == [
        ("model:fraud@99", "runs:/0a1b2c/fraud", "pytorch/pickle", "2025-01-02T03:04:05.000006Z")
    ]
    assert ("runs:/0a1b2c/fraud",) in query("SELECT locator FROM asset_locators")


def test_broken_and_empty_mlmodel_files_are_rejected_with_reasons(tmp_path, ingest, query):
    bad = tmp_path / "MLmodel"
    bad.write_text("flavors:\n  sklearn: {pickled_model: model.pkl\nmodel_uuid: 1\n")
    result = ingest(bad).files[0]
    assert (result.status, result.format) == ("failed", "mlflow_model")
    assert re.search(r"invalid YAML at line \d+, column \d+", str(result.message))

    empty = tmp_path / "empty" / "MLmodel"
    empty.parent.mkdir()
    empty.write_text("flavors: {}\nmodel_uuid: 2\n")
    result = ingest(empty).files[0]
    assert (result.status, result.counts.loaded, result.counts.rejected) == ("loaded", 0, 1)
    assert query("SELECT reason FROM rejects WHERE position_kind = 'file' AND raw LIKE 'flavors: {}%'") == [
        ("an MLmodel file without flavors: nothing says how the model is stored or loaded",)
    ]


def test_yaml_alias_bomb_and_tags_are_refused(tmp_path, ingest):
    lines = ["flavors: {python_function: {}}", "model_uuid: 3", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb" / "MLmodel"
    bomb.parent.mkdir()
    bomb.write_text("\n".join(lines) + "\n")
    result = ingest(bomb).files[0]
    assert result.status == "failed" and "alias bomb" in str(result.message)

    hostile = tmp_path / "hostile" / "MLmodel"
    hostile.parent.mkdir()
    hostile.write_text('flavors: !!python/object/apply:os.system ["echo pwned"]\nmodel_uuid: 4\n')
    result = ingest(hostile).files[0]
    # the safe loader refuses Python tags instead of running them
    assert result.status == "failed" and "could not determine a constructor" in str(result.message)


def test_sniff_needs_flavors_and_mlflow_keys(tmp_path):
    fmt = MlflowModel()
    cases = {
        "k8s.yaml": ("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", 0),
        "flavors-only.yaml": ("flavors:\n  sweet: true\n", 0),
        "conda.yaml": ("name: mlflow-env\ndependencies: [python=3.10]\n", 0),
        "MLmodel": ("artifact_path: m\nflavors:\n  sklearn: {}\n", 100),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        assert fmt.sniff(take_sample(path, path.stat().st_size)) == expected, name
