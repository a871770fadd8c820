"""The services a citizen can report (Open311 ``services``) and the departments that handle them.

The codes are the categories the assistant's ``submit_complaint`` tool uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Department:
    id: str
    name_en: str
    name_ko: str


@dataclass(frozen=True)
class Attribute:
    """An Open311 custom attribute: ``datatype`` is string, number, datetime, text, singlevaluelist or
    multivaluelist; ``values`` are (key, name) pairs for the list types."""

    code: str
    description: str
    datatype: str = "string"
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()
    datatype_description: str = ""
    variable: bool = True


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    name_ko: str
    description: str
    group: str
    keywords: tuple[str, ...]
    department: str  # Department.id
    days_to_resolve: int  # target, gives Open311's expected_datetime
    attributes: tuple[Attribute, ...] = field(default=())
    min_photos: int = 0  # photos a report must carry
    photos_min_seconds_apart: int = 0  # first and last photo at least this far apart (EXIF time)
    phrases: tuple[str, ...] = ()  # how citizens say it, in Korean and English (the assistant's router finds it
    # by these)
    precedence: int = 100  # where a message says several, the lowest wins ("가로수가 쓰러져 ... 파손" is a fallen tree)

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


DEPARTMENTS: dict[str, Department] = {d.id: d for d in (
    Department("road_management", "Road Management Division", "도로관리과"),
    Department("cleaning", "Cleaning Administration Division", "청소행정과"),
    Department("parking", "Parking Management Division", "주차관리과"),
    Department("traffic_operations", "Traffic Operations Division", "교통운영과"),
    Department("outdoor_ads", "Outdoor Advertising Division", "옥외광고물관리팀"),
    Department("parks", "Parks and Landscaping Division", "공원녹지과"),
    Department("water_circulation", "Water Circulation and Sewerage Division", "물순환안전과"),
    Department("transport_admin", "Transport Administration Division", "교통행정과"),
    Department("facilities", "Public Facilities Management Division", "시설관리과"),
)}

_SIZE = Attribute("size", "How big is the hole?", "singlevaluelist", False,
                  (("small", "Smaller than a fist"), ("medium", "Up to a car tyre"), ("large", "Bigger than a car tyre")))

SERVICES: dict[str, Service] = {s.code: s for s in (
    Service("pothole", "Pothole", "도로 파임(포트홀)", "A hole or sinking in the road surface.", "Roads",
            ("road", "pothole", "asphalt"), "road_management", 3,
            (_SIZE, Attribute("lane", "Which lane or side of the road", "string")),
            phrases=("포트홀", "도로 파임", "도로가 파", "움푹", "패였", "패인", "파였", "파인 곳", "싱크홀", "꺼졌", "꺼진",
                     "pothole", "sinkhole", "hole in the road"), precedence=2),
    Service("illegal_dumping", "Illegal dumping", "쓰레기 무단투기", "Rubbish or bulky waste left in a public place.",
            "Cleanliness", ("rubbish", "waste", "dumping"), "cleaning", 3,
            phrases=("무단투기", "쓰레기 버리", "쓰레기를 버", "쓰레기 투기", "버리고 갔", "버리고 간", "버려 놓", "버려져",
                     "갖다 버", "쓰레기 봉투", "쓰레기봉투", "쓰레기가 쌓", "illegal dumping", "dumped", "dumping",
                     "fly-tipping", "fly tipping", "rubbish", "trash bags", "garbage bags"), precedence=13),
    Service("streetlight", "Streetlight out or faulty", "가로등 고장", "A streetlight that is out, flickering or "
            "on during the day.", "Roads", ("light", "lamp"), "road_management", 5,
            (Attribute("pole_number", "The number plate on the pole, if visible", "string"),
             Attribute("problem", "What is wrong", "singlevaluelist", False,
                       (("out", "Not lit"), ("flickering", "Flickering"), ("day_burning", "Lit during the day"),
                        ("damaged", "Pole or lamp damaged")))),
            phrases=("가로등", "보안등", "streetlight", "street light", "streetlamp", "street lamp", "lamp post",
                     "lamppost", "light pole"), precedence=3),
    Service("illegal_parking", "Illegal parking", "불법 주정차", "A vehicle parked where it is forbidden "
            "(crosswalk, bus stop, fire hydrant, sidewalk, intersection, school zone). Needs 2 photos taken at "
            "least a minute apart.", "Traffic", ("parking", "car", "vehicle"), "parking", 1,
            (Attribute("vehicle_plate", "The vehicle's number plate", "string"),
             Attribute("place_type", "Where the vehicle is parked", "singlevaluelist", False,
                       (("crosswalk", "Crosswalk"), ("bus_stop", "Bus stop"), ("fire_hydrant", "Fire hydrant"),
                        ("sidewalk", "Sidewalk"), ("intersection", "Intersection corner"),
                        ("school_zone", "School zone"), ("other", "Elsewhere")))),
            min_photos=2, photos_min_seconds_apart=60,
            phrases=("불법주차", "불법 주차", "주차 돼", "주차돼", "주차해", "세워", "illegal parking", "illegally parked",
                     "parks on", "parked on", "parked in front", "parked across", "double parked", "blocking the"), precedence=5),
    Service("broken_sidewalk", "Broken sidewalk", "보도블록 파손", "Broken, loose or raised paving on a sidewalk.",
            "Roads", ("sidewalk", "pavement", "paving"), "road_management", 7,
            phrases=("보도블록", "보도 블록", "보도블럭", "보도 블럭", "인도 블록", "인도 파손", "인도가 깨", "보도가 깨",
                     "sidewalk is broken", "broken sidewalk", "cracked sidewalk", "crack in the sidewalk",
                     "sidewalk crack", "crack in the pavement", "broken pavement", "pavement tiles", "paving"), precedence=11),
    Service("traffic_signal", "Traffic signal fault", "신호등 고장", "A traffic or pedestrian signal that is out, "
            "stuck or mistimed.", "Traffic", ("signal", "traffic light"), "traffic_operations", 1,
            phrases=("신호등", "신호기", "빨간불", "초록불", "파란불", "traffic light", "traffic signal", "crossing signal",
                     "pedestrian light", "pedestrian signal", "walk signal", "signal button"), precedence=4),
    Service("illegal_banner", "Illegal banner or flyer", "불법 현수막·전단", "Banners, posters or flyers put up "
            "without a permit.", "Cleanliness", ("banner", "poster", "flyer"), "outdoor_ads", 3,
            phrases=("현수막", "전단지", "광고 전단", "불법 광고", "스티커 광고", "벽보", "banner", "flyer", "poster",
                     "leaflet", "placard"), precedence=6),
    Service("fallen_tree", "Fallen tree or branch", "쓰러진 나무", "A tree or large branch down or about to fall.",
            "Parks", ("tree", "branch"), "parks", 1,
            phrases=("쓰러진 나무", "가로수가 쓰러", "나무가 쓰러", "나무가 넘어", "쓰러져", "가지가 부러", "나뭇가지",
                     "fallen tree", "tree fell", "tree has fallen", "tree down", "tree came down", "fallen branch",
                     "branch fell", "branch came down", "uprooted"), precedence=1),
    Service("manhole", "Manhole cover", "맨홀 뚜껑", "A missing, broken, rattling or raised manhole cover.",
            "Water", ("manhole", "cover"), "water_circulation", 1,
            phrases=("맨홀", "manhole"), precedence=8),
    Service("abandoned_bicycle", "Abandoned bicycle", "방치 자전거", "A bicycle left locked or lying in a public "
            "place for a long time.", "Traffic", ("bicycle", "bike"), "transport_admin", 14,
            phrases=("방치 자전거", "방치된 자전거", "자전거 방치", "자전거가 방치", "버려진 자전거", "abandoned bike",
                     "abandoned bicycle", "rusty bike", "rusty bicycle", "bike has been left", "bicycle has been left"), precedence=9),
    Service("blocked_drain", "Blocked drain", "빗물받이 막힘", "A street drain or gutter that is blocked or "
            "overflowing.", "Water", ("drain", "gutter", "flooding"), "water_circulation", 3,
            phrases=("배수구", "하수구", "빗물받이", "물이 안 빠", "drain", "gutter", "clogged"), precedence=10),
    Service("damaged_facility", "Damaged public facility", "공공시설물 파손", "A damaged bench, fence, sign, "
            "shelter or other public facility.", "Facilities", ("bench", "fence", "sign"), "facilities", 7,
            phrases=("벤치", "파손", "부서", "고장", "망가", "울타리", "그네", "bench", "broken", "damaged", "vandalized",
                     "smashed", "fence", "swing"), precedence=14),
    Service("graffiti", "Graffiti", "낙서", "Graffiti on public property.", "Cleanliness",
            ("graffiti", "vandalism"), "cleaning", 7,
            phrases=("낙서", "그래피티", "스프레이", "graffiti", "spray paint", "spray-paint"), precedence=7),
    Service("road_ice", "Ice or snow on the road", "도로 결빙·적설", "Ice or snow that makes a road or sidewalk "
            "dangerous.", "Roads", ("ice", "snow", "slippery"), "road_management", 1,
            phrases=("빙판", "결빙", "얼어", "제설", "눈이 쌓", "black ice", "icy", "road ice", "frozen road", "sheet of ice",
                     "slippery"), precedence=12),
)}
