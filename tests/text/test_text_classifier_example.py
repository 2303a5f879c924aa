"""examples/text_classifier.py trains its EmbeddingBag classifier to the accuracy its
docstring states, on the corpus it writes and reads back through AG_NEWS."""
import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load_example():
    path = os.path.join(REPO, "examples", "text_classifier.py")
    spec = importlib.util.spec_from_file_location("text_classifier_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_text_classifier_reaches_stated_accuracy(tmp_path, capsys):
    example = _load_example()
    acc = example.main(["--epochs", "3", "--root", str(tmp_path)])
    out = capsys.readouterr().out
    assert acc >= 0.95, out
    assert f"test accuracy: {acc:.3f}" in out
    assert out.count("valid accuracy") == 3
    # the corpus is in AG_NEWS's layout, 4 labels
    with open(tmp_path / "AG_NEWS" / "train.csv", encoding="utf-8") as f:
        labels = {line.split(",")[0] for line in f}
    assert labels == {'"1"', '"2"', '"3"', '"4"'}
