"""Re-run notebooks in place to refresh their committed outputs, the way the committed ones were made.

    python .ci/rerun.py nbs/07_ldm.ipynb [nbs/08_evaluate.ipynb ...]

Each notebook runs top to bottom in a fresh kernel from `nbs/`, under `$FASHION_LDM_PRESET` (`quick` unless set) and
`$FASHION_LDM_DATA`. Then the progress bars are taken out of its outputs (a bar redraws itself on stderr, and a run
leaves every redraw in the file), `nbdev_clean` strips the metadata and `.ci/notebooks.py`'s fix drops the widget
state. It ends with each notebook's size against the limit CI enforces, and fails if a notebook is over it.
A notebook that fails to run (a cell's error, a timeout, a dead kernel) is left as it was.
"""
import os, re, subprocess, sys, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import LIMIT_KB, main as check_notebooks   # noqa: E402

PROGRESS_BAR = re.compile(r'\d+%\|')   # tqdm's "  40%|####      | 4/10 [...]"


def without_progress_bars(text: str) -> str:
    "`text` less the lines (and carriage-return redraws) that are progress bars."
    kept = [line for line in re.split(r'[\r\n]', text) if line.strip() and not PROGRESS_BAR.search(line)]
    return '\n'.join(kept) + '\n' if kept else ''


def drop_progress_bars(nb) -> int:
    "Remove progress bars from every stderr output of `nb` in place; the number of outputs changed."
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != 'code': continue
        outputs = []
        for out in cell.get('outputs', []):
            if out.get('output_type') == 'stream' and out.get('name') == 'stderr':
                text = without_progress_bars(out['text'])
                changed += bool(PROGRESS_BAR.search(out['text']))
                if not text: continue
                out['text'] = text
            outputs.append(out)
        cell['outputs'] = outputs
    return changed


def rerun(path: Path, timeout: int = 1200) -> bool:
    "Execute `path` in place; True if every cell ran."
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    try: NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    except Exception as e:   # a failing cell, a cell over the timeout, a kernel that died
        print(f'{path.name}: {type(e).__name__}, the file is unchanged:\n{str(e)[-2000:]}')
        return False
    bars = drop_progress_bars(nb)
    nbformat.write(nb, path)
    print(f'{path.name}: ran in {time.perf_counter() - started:.0f} s, progress bars taken out of {bars} outputs')
    return True


def main(paths: list[str]) -> int:
    if not paths:
        print('usage: python .ci/rerun.py nbs/NAME.ipynb [nbs/OTHER.ipynb ...]'); return 2
    missing = [p for p in paths if not (p.endswith('.ipynb') and Path(p).is_file())]
    if missing:
        print(f"not a notebook: {', '.join(missing)}; give paths like nbs/07_ldm.ipynb"); return 2
    os.environ.setdefault('FASHION_LDM_PRESET', 'quick')
    print(f"preset {os.environ['FASHION_LDM_PRESET']}, data {os.environ.get('FASHION_LDM_DATA', '(the default)')}")
    ran = [Path(p) for p in paths if rerun(Path(p))]
    for p in ran: subprocess.run(['nbdev_clean', '--fname', str(p)], check=True)
    too_large = check_notebooks(fix=True)   # drops widget state; prints what is still wrong, such as a size over the limit
    for p in ran: print(f'{p.name}: {p.stat().st_size / 1024:.0f} KB (limit {LIMIT_KB} KB)')
    return 0 if len(ran) == len(paths) and not too_large else 1


if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
