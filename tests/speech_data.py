"""The committed test clips (see data/LICENSE.md) and their reference transcripts."""

from pathlib import Path

DATA = Path(__file__).parent / "data"
JFK = DATA / "jfk.flac"
JFK_TEXT = "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
KO_CLIP = DATA / "ko_104_003_0019.flac"
KO_TEXT = "지난해삼월김전장관의동료인장동련홍익대교수가민간자문단장으로위촉되면서본격적인공모와개발작업에들어갔다"
# two more clips of the same speaker, for a recording of running speech (KO_CLIP, then these, short pauses between)
KO_MORE = ((DATA / "ko_104_003_0253.flac", "현재백화점과영화관등은오픈해영업하고있고테마파크및아파트등의공사는이천십팔년완공을목표로진행돼왔다"),
           (DATA / "ko_104_003_0294.flac", "한잔의커피가소비자에게전해지기위해선여러차례의공정을거쳐야한다"))
