"Write README.md from the markdown cells of nbs/index.ipynb (nbdev_readme needs Quarto, which these machines lack)."
import json
from pathlib import Path

root = Path(__file__).resolve().parent.parent
cells = json.loads((root / 'nbs' / 'index.ipynb').read_text(encoding='utf-8'))['cells']
text = '\n\n'.join(''.join(c['source']).strip() for c in cells if c['cell_type'] == 'markdown')
(root / 'README.md').write_text('<!-- Generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file. -->\n\n' + text + '\n', encoding='utf-8')
