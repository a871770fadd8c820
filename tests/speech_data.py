"""The committed test clips (see data/LICENSE.md) and their reference transcripts."""

from pathlib import Path

DATA = Path(__file__).parent / "data"
JFK = DATA / "jfk.flac"
JFK_TEXT = "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
KO_CLIP = DATA / "ko_104_003_0019.flac"
KO_TEXT = "지난해삼월김전장관의동료인장동련홍익대교수가민간자문단장으로위촉되면서본격적인공모와개발작업에들어갔다"
