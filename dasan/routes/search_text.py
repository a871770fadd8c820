"""The words of the search and meetings pages of the staff console, Korean and English."""

SEARCH_TEXT = {
    "ko": {"title": "통합 검색 — 다산", "h1": "통합 검색", "lead": "지식베이스, 공공데이터, 측정소, 민원, 회의록(발언 내용)을 한 번에 찾습니다.",
           "label": "검색어", "go": "검색", "none": "찾은 결과가 없습니다.", "found": "건을 찾았습니다.",
           "kind_kb": "지식베이스", "kind_dataset": "데이터셋", "kind_station": "측정소", "kind_complaint": "민원",
           "kind_meeting": "회의록", "unavailable": "지금 검색하지 못한 곳:"},
    "en": {"title": "Search — Dasan", "h1": "Search", "lead": "The knowledge base, open datasets, sensor stations, "
           "complaints and meetings (what was said), in one box.", "label": "Search for", "go": "Search",
           "none": "Nothing found.", "found": "results.", "kind_kb": "Knowledge base", "kind_dataset": "Dataset",
           "kind_station": "Station", "kind_complaint": "Complaint", "kind_meeting": "Meeting",
           "unavailable": "Not searched just now:"},
}

MEETINGS_TEXT = {
    "ko": {"title": "회의록 — 다산", "h1": "회의록", "lead": "녹음을 올리면 받아쓰고 회의록을 작성합니다. 지난 회의를 발언 내용으로 찾을 수 있습니다.",
           "live": "실시간 회의록 열기", "upload_h": "녹음 올리기", "drop": "녹음 파일을 여기로 끌어다 놓거나 고르세요",
           "file": "녹음 파일", "meeting_title": "회의 제목", "upload": "올리기", "uploading": "올리는 중",
           "preparing": "준비 중", "transcribing": "받아쓰는 중", "composing": "회의록 작성 중", "queued": "대기 중",
           "done": "완료", "failed": "실패", "segments": "문장", "chunks": "묶음", "open": "회의 열기",
           "library_h": "지난 회의", "search_label": "발언 내용으로 찾기", "search": "찾기", "from": "시작일",
           "to": "종료일", "department": "부서", "all": "전체", "col_title": "제목", "col_date": "날짜",
           "col_department": "부서", "col_length": "길이", "empty": "회의가 없습니다.", "minutes_word": "분"},
    "en": {"title": "Meetings — Dasan", "h1": "Meetings", "lead": "Upload a recording to have it transcribed and "
           "its minutes written; find past meetings by what was said.", "live": "Open live minutes",
           "upload_h": "Upload a recording", "drop": "Drop a recording here, or choose one", "file": "Recording",
           "meeting_title": "Meeting title", "upload": "Upload", "uploading": "Uploading", "preparing": "Preparing",
           "transcribing": "Transcribing", "composing": "Writing the minutes", "queued": "Queued", "done": "Done",
           "failed": "Failed", "segments": "sentences", "chunks": "parts", "open": "Open the meeting",
           "library_h": "Past meetings", "search_label": "Find by what was said", "search": "Find",
           "from": "From", "to": "To", "department": "Department", "all": "All", "col_title": "Title",
           "col_date": "Date", "col_department": "Department", "col_length": "Length", "empty": "No meetings.",
           "minutes_word": "min"},
}

MEETING_TEXT = {
    "ko": {"title": "회의 — 다산", "back": "회의록 목록", "audio_h": "녹음", "audio_note": "이 서버는 받아쓴 뒤 녹음을 보관하지 않습니다. "
           "가지고 있는 녹음 파일을 고르면 이 브라우저에서 대본과 맞춰 재생합니다(파일은 서버로 보내지 않습니다).",
           "audio_file": "녹음 파일 고르기", "transcript_h": "대본", "play": "여기부터 재생", "edit": "고치기", "save": "저장",
           "saved": "저장했습니다.", "speakers_h": "화자", "rename": "이름 저장", "decisions_h": "결정 사항",
           "actions_h": "할 일", "summary_h": "요약", "exports_h": "내려받기", "none": "없음", "owner": "담당",
           "due": "기한"},
    "en": {"title": "Meeting — Dasan", "back": "All meetings", "audio_h": "Recording", "audio_note": "This server "
           "does not keep recordings after transcribing them. Choose your copy of the recording and it plays here "
           "in step with the transcript (the file stays in this browser).", "audio_file": "Choose the recording",
           "transcript_h": "Transcript", "play": "Play from here", "edit": "Correct", "save": "Save",
           "saved": "Saved.", "speakers_h": "Speakers", "rename": "Save name", "decisions_h": "Decisions",
           "actions_h": "Actions", "summary_h": "Summary", "exports_h": "Downloads", "none": "None",
           "owner": "owner", "due": "due"},
}
