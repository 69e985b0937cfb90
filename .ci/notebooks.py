"""Committed notebooks stay light: at most 250 KB each, and no saved ipywidgets state.

`python .ci/notebooks.py` checks (CI runs it); `python .ci/notebooks.py --fix` strips the widget state, which
`nbdev_clean` keeps on purpose. Progress bars are plain text (tqdm.std), so no widget state is needed to read them;
`python .ci/rerun.py NOTEBOOK` re-runs a notebook and takes their redraws out of its outputs.
"""
import json, sys
from pathlib import Path

LIMIT_KB = 250
root = Path(__file__).resolve().parent.parent

def main(fix: bool) -> int:
    problems = []
    for path in sorted((root / 'nbs').glob('*.ipynb')):
        nb = json.loads(path.read_text())
        if 'widgets' in nb.get('metadata', {}):
            if fix:
                del nb['metadata']['widgets']
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
            else: problems.append(f'{path.name}: saved widget state in its metadata (run python .ci/notebooks.py --fix)')
        size_kb = path.stat().st_size / 1024
        if size_kb > LIMIT_KB:
            problems.append(f'{path.name}: {size_kb:.0f} KB, over the {LIMIT_KB} KB limit (fewer or smaller figures)')
    for p in problems: print(p)
    return 1 if problems else 0

if __name__ == '__main__': sys.exit(main('--fix' in sys.argv[1:]))
