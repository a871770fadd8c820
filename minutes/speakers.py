"""Who spoke when: GE2E speaker embeddings (:mod:`models.speaker`) clustered.

* Live, :class:`SpeakerTracker` gives each closed transcript segment a speaker as it comes (nearest centroid
  above a similarity threshold, else a new speaker), and :meth:`SpeakerTracker.refine` re-clusters all
  segments at the end of the meeting (agglomerative, average linkage), which fixes early guesses.
* Offline, :func:`diarize` turns a whole recording into speaker turns: VAD speech regions, embeddings of 1.6 s
  windows every 0.4 s, agglomerative clustering, frame-level labels smoothed into turns. That is what
  ``dasan eval diarization`` scores and what refines the speakers of an uploaded file.

Speakers are labelled "Speaker 1", "Speaker 2", ... in order of first appearance; names given by people
("Director Kim") are a mapping kept by the meeting, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
WINDOW_S = 1.6


@dataclass(frozen=True)
class DiarizationOptions:
    threshold: float = 0.4  # cosine distance under which clusters merge (average linkage; tuned on AMI dev)
    live_threshold: float = 0.6  # live: cosine similarity to a centroid to join that speaker
    min_segment_s: float = 0.6  # shorter segments take the previous speaker (too short to embed reliably)
    window_rate: float = 2.5  # embedding windows a second (offline)
    max_speakers: int = 12
    min_turn_s: float = 0.3  # offline: shorter turns are merged into their neighbours
    vad_threshold: float = 0.25  # meetings: far-field voices; turns include short pauses (tuned on AMI excerpts)
    vad_min_silence_ms: int = 1000
    vad_pad_ms: int = 250


def speaker_label(index: int) -> str:
    return f"Speaker {index + 1}"


def cluster(embeddings: np.ndarray, threshold: float, max_speakers: int = 12) -> np.ndarray:
    """Cluster unit vectors by cosine distance (average linkage); labels renumbered by first appearance."""
    if len(embeddings) == 0:
        return np.zeros(0, dtype=int)
    if len(embeddings) == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    raw = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                  distance_threshold=threshold).fit_predict(embeddings)
    if raw.max() + 1 > max_speakers:
        raw = AgglomerativeClustering(n_clusters=max_speakers, metric="cosine",
                                      linkage="average").fit_predict(embeddings)
    order: dict[int, int] = {}
    for label in raw:
        order.setdefault(int(label), len(order))
    return np.array([order[int(label)] for label in raw], dtype=int)


class SpeakerTracker:
    """Live speaker labels for transcript segments, refined at the end.

    Memory: one 256-d float16 vector per segment (about 0.5 kB; 2,000 segments in a 2-hour meeting), and the
    final re-clustering works on at most ``max_refine`` units (runs of consecutive segments of one live speaker
    pooled), so its pairwise distances stay bounded however long the meeting.
    """

    max_refine = 1500

    def __init__(self, encoder, options: DiarizationOptions = DiarizationOptions()):
        self.encoder = encoder
        self.options = options
        self._centroids: list[np.ndarray] = []
        self._counts: list[float] = []
        self._segments: list[tuple[int, np.ndarray | None, float, str | None]] = []  # id, embedding, secs, label
        self._last: str | None = None

    def assign(self, segment_id: int, audio: np.ndarray, start: float, end: float) -> str | None:
        duration = len(audio) / SAMPLE_RATE
        if duration < self.options.min_segment_s:
            self._segments.append((segment_id, None, duration, self._last))
            return self._last
        embedding = self.encoder.embed(audio)
        if self._centroids:
            sims = np.array([float(c @ embedding) / max(float(np.linalg.norm(c)), 1e-8) for c in self._centroids])
            best = int(np.argmax(sims))
            if sims[best] >= self.options.live_threshold or len(self._centroids) >= self.options.max_speakers:
                self._centroids[best] = self._centroids[best] + embedding * duration
                self._counts[best] += duration
                label = speaker_label(best)
                self._segments.append((segment_id, embedding.astype(np.float16), duration, label))
                self._last = label
                return label
        self._centroids.append(embedding * duration)
        self._counts.append(duration)
        label = speaker_label(len(self._centroids) - 1)
        self._segments.append((segment_id, embedding.astype(np.float16), duration, label))
        self._last = label
        return label

    @property
    def speakers(self) -> int:
        return len({label for *_, label in self._segments if label is not None})

    def _units(self) -> list[tuple[list[int], np.ndarray]]:
        """Segments to cluster together: each embedded segment alone, or, past ``max_refine``, chunks of a live
        speaker's segments in order (duration-weighted mean embeddings), at most ``max_refine`` units in all."""
        known = [i for i, seg in enumerate(self._segments) if seg[1] is not None]
        if len(known) <= self.max_refine:
            return [([i], self._segments[i][1].astype(np.float32)) for i in known]
        by_label: dict[str | None, list[int]] = {}
        for i in known:
            by_label.setdefault(self._segments[i][3], []).append(i)
        size = -(-len(known) // max(1, self.max_refine - len(by_label)))  # segments pooled per unit
        units: list[tuple[list[int], np.ndarray]] = []
        for members in by_label.values():
            for k in range(0, len(members), size):
                chunk = members[k:k + size]
                vector = sum(self._segments[i][1].astype(np.float32) * self._segments[i][2] for i in chunk)
                units.append((chunk, vector / max(float(np.linalg.norm(vector)), 1e-8)))
        return sorted(units, key=lambda unit: unit[0][0])  # in time order: labels number by first appearance

    def refine(self) -> dict[int, str]:
        """Re-cluster every segment seen; returns segment id -> label (only for segments whose label changed)."""
        units = self._units()
        if len(units) < 2:
            return {}
        labels = cluster(np.stack([vector for _, vector in units]), self.options.threshold, self.options.max_speakers)
        new: dict[int, str] = {}
        previous: str | None = None
        by_index = {i: speaker_label(int(label)) for (members, _), label in zip(units, labels) for i in members}
        changed: dict[int, str] = {}
        for i, (segment_id, _, _, old) in enumerate(self._segments):
            label = by_index.get(i, previous)
            previous = label
            new[segment_id] = label
            if label != old and label is not None:
                changed[segment_id] = label
        self._segments = [(sid, emb, dur, new[sid]) for sid, emb, dur, _ in self._segments]
        return changed


def diarize(audio: np.ndarray, encoder, vad, options: DiarizationOptions = DiarizationOptions()
            ) -> list[tuple[float, float, str]]:
    """Speaker turns (start, end, label) of a recording (16 kHz mono float32)."""
    from models.vad import VadOptions

    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    regions = vad.speech_segments(audio, VadOptions(threshold=options.vad_threshold, min_speech_ms=200,
                                                    min_silence_ms=options.vad_min_silence_ms,
                                                    pad_ms=options.vad_pad_ms))
    windows: list[tuple[float, float]] = []
    embeddings: list[np.ndarray] = []
    for start, end in regions:
        piece = audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
        partials = encoder.embed_partials(piece, rate=options.window_rate)
        step = 1.0 / options.window_rate
        for k, vector in enumerate(partials):
            w_start = start + k * step
            windows.append((w_start, min(end, w_start + WINDOW_S)))
            embeddings.append(vector)
    if not embeddings:
        return []
    labels = cluster(np.stack(embeddings), options.threshold, options.max_speakers)
    return _turns(regions, windows, labels, options)


def _turns(regions, windows, labels, options: DiarizationOptions) -> list[tuple[float, float, str]]:
    """Frame (10 ms) labels by the windows covering each frame (votes weighted to the window's centre)."""
    step = 0.01
    end = max(r[1] for r in regions)
    n_speakers = int(labels.max()) + 1
    votes = np.zeros((int(np.ceil(end / step)) + 1, n_speakers), dtype=np.float32)
    for (w_start, w_end), label in zip(windows, labels):
        a, b = int(w_start / step), int(w_end / step)
        if b <= a:
            continue
        centre = (a + b) / 2
        weight = 1.0 - np.abs(np.arange(a, b) - centre) / max(b - a, 1)  # a triangle: the middle counts most
        votes[a:b, label] += weight
    turns: list[list] = []
    for r_start, r_end in regions:
        a, b = int(r_start / step), int(r_end / step)
        for frame in range(a, b):
            row = votes[frame]
            label = int(np.argmax(row)) if row.any() else (turns[-1][2] if turns else 0)
            t = frame * step
            if turns and turns[-1][2] == label and abs(turns[-1][1] - t) < step * 1.5:
                turns[-1][1] = t + step
            else:
                turns.append([t, t + step, label])
    # merge turns too short to be real into a neighbour of the same region
    merged: list[list] = []
    for turn in turns:
        if merged and (turn[1] - turn[0] < options.min_turn_s) and abs(merged[-1][1] - turn[0]) < 0.02:
            merged[-1][1] = turn[1]
        elif merged and merged[-1][2] == turn[2] and turn[0] - merged[-1][1] < 0.02:
            merged[-1][1] = turn[1]
        else:
            merged.append(list(turn))
    return [(round(s, 2), round(e, 2), speaker_label(label)) for s, e, label in merged]


def speaker_of(turns: list[tuple[float, float, str]], start: float, end: float) -> str | None:
    """The speaker who talks most within [start, end] according to ``turns``."""
    overlap: dict[str, float] = {}
    for t_start, t_end, label in turns:
        amount = min(end, t_end) - max(start, t_start)
        if amount > 0:
            overlap[label] = overlap.get(label, 0.0) + amount
    return max(overlap, key=overlap.get) if overlap else None
