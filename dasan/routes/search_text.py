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
           "due": "기한", "form_docx": "회의록 서식 (DOCX, 결재란 포함)"},
    "en": {"title": "Meeting — Dasan", "back": "All meetings", "audio_h": "Recording", "audio_note": "This server "
           "does not keep recordings after transcribing them. Choose your copy of the recording and it plays here "
           "in step with the transcript (the file stays in this browser).", "audio_file": "Choose the recording",
           "transcript_h": "Transcript", "play": "Play from here", "edit": "Correct", "save": "Save",
           "saved": "Saved.", "speakers_h": "Speakers", "rename": "Save name", "decisions_h": "Decisions",
           "actions_h": "Actions", "summary_h": "Summary", "exports_h": "Downloads", "none": "None",
           "owner": "owner", "due": "due", "form_docx": "Government minutes form (DOCX)"},
}

LIVE_TEXT = {
    "ko": {"title": "실시간 회의록 — 다산", "h1": "실시간 회의록",
           "lead": "마이크로 회의를 받아쓰고, 끝나면 회의록(요약, 결정 사항, 조치 사항)을 작성합니다.",
           "setup": "회의 설정", "meeting_title": "회의 제목", "default_title": "회의", "language": "언어",
           "lang_auto": "자동", "compose": "회의록 작성", "compose_auto": "자동 (LLM이 있으면 LLM)",
           "compose_llm": "로컬 LLM", "compose_extractive": "발췌", "glossary": "용어집",
           "glossary_hint": "예: 마포구, 도시교통실", "subtitles": "영어 자막 (한국어 발언을 영어로, 저장하지 않음)",
           "dataset_consent": "참석자 모두 음성 데이터 공개에 동의함 (녹음을 보관하고 개인정보를 가려 공개 데이터셋에 넣음)",
           "start": "회의 시작 (마이크)", "stop": "회의 종료",
           "idle": "대기 중", "transcript_h": "실시간 회의록",
           "transcript_help": "화자 이름을 누르면 이름을 바꿀 수 있습니다. 회의가 끝나면 문장을 고칠 수 있습니다.",
           "result_h": "회의 결과", "rename": "화자 {name} 이름 바꾸기", "new_name": "{name} → 이름",
           "none": "없음", "composed_by": "작성 방식", "how_extractive": "발췌", "how_llm": "로컬 LLM",
           "how_mixed": " + 발췌", "how_checked": " · 검증 통과 {kept}/{proposed}", "attendees": "참석자",
           "summary": "요약", "decisions": "결정 사항", "actions": "조치 사항",
           "form_docx": "회의록 서식 (DOCX, 결재란 포함)", "connecting": "마이크 연결 중…", "recording": "녹음 중", "no_mic": "마이크를 쓸 수 없습니다: {reason}",
           "composing": "회의록 작성 중… {done}/{total}", "composing_start": "회의록 작성 중…",
           "saved": "회의 종료 · 저장됨", "finishing": "회의록 정리 중…", "failed": "오류: {reason}",
           "library": "회의록 목록"},
    "en": {"title": "Live minutes — Dasan", "h1": "Live minutes",
           "lead": "Transcribes a meeting from the microphone; when it ends, writes the minutes (summary, decisions, "
                   "action items).",
           "setup": "Meeting settings", "meeting_title": "Meeting title", "default_title": "Meeting",
           "language": "Language", "lang_auto": "Automatic", "compose": "Minutes written by",
           "compose_auto": "Automatic (the LLM when installed)", "compose_llm": "Local LLM",
           "compose_extractive": "Extracts", "glossary": "Glossary",
           "glossary_hint": "e.g. Mapo-gu, Urban Transport Office",
           "subtitles": "English subtitles (of what is said in Korean; not stored)",
           "dataset_consent": "Everyone speaking agreed to the city's speech dataset (the recording is kept and "
                              "published with personal data masked)",
           "start": "Start the meeting (microphone)",
           "stop": "End the meeting", "idle": "Waiting", "transcript_h": "Live transcript",
           "transcript_help": "Press a speaker's name to rename them. Once the meeting has ended, sentences can be "
                              "corrected.",
           "result_h": "The minutes", "rename": "Rename speaker {name}", "new_name": "{name} → name",
           "none": "none", "composed_by": "Written by", "how_extractive": "extracts from the transcript",
           "how_llm": "the local LLM", "how_mixed": " + extracts", "how_checked": " · {kept} of {proposed} checked",
           "attendees": "Attendees", "summary": "Summary", "decisions": "Decisions", "actions": "Action items",
           "form_docx": "Government minutes form (DOCX)", "connecting": "Connecting the microphone…", "recording": "Recording",
           "no_mic": "The microphone cannot be used: {reason}", "composing": "Writing the minutes… {done}/{total}",
           "composing_start": "Writing the minutes…", "saved": "Meeting ended · saved",
           "finishing": "Finishing the minutes…", "failed": "Error: {reason}", "library": "All meetings"},
}
