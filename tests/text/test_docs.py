"""The code blocks of docs/text.md run (in order, sharing one namespace) and print what
their comments say."""
import contextlib
import io
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_docs_text_md_examples_run_and_print_what_they_say():
    with open(os.path.join(REPO, "docs", "text.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) >= 5
    namespace = {}
    for block in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, "docs/text.md", "exec"), namespace)
        printed = out.getvalue().splitlines()
        # every print with a trailing comment prints exactly the comment
        expected = [line.split("# ", 1)[1] for line in block.splitlines()
                    if line.startswith("print(") and "# " in line]
        assert printed == expected
