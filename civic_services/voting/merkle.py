"""A Merkle tree log as RFC 6962 / RFC 9162 define it: leaf hash SHA-256(0x00 || data), node hash
SHA-256(0x01 || left || right), the tree of n leaves split at the largest power of two below n; inclusion
proofs and consistency proofs, and their verification (pure functions, usable offline).

:class:`MerkleTree` keeps every complete subtree's hash in memory (2n hashes), so appending is O(log n) and
any proof for any tree size up to the current one costs O(log n) lookups (plus O(log^2 n) for the ragged
right edge).
"""

from __future__ import annotations

import hashlib

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    def __init__(self, leaves: list[bytes] | None = None):
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves or ():
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> int:
        """Add a leaf hash; returns its index."""
        index = len(self.levels[0])
        self.levels[0].append(leaf)
        level, j = 0, index
        while j & 1:
            left, right = self.levels[level][j - 1], self.levels[level][j]
            level += 1
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(node_hash(left, right))
            j >>= 1
        return index

    def truncate(self, size: int) -> None:
        """Forget every leaf from ``size`` on (a transaction that appended them rolled back)."""
        for level in range(len(self.levels)):
            del self.levels[level][size >> level:]

    def subtree(self, start: int, size: int) -> bytes:
        """The hash of leaves [start, start + size)."""
        if size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            return self.levels[level][start >> level]
        k = _split(size)
        return node_hash(self.subtree(start, k), self.subtree(start + k, size - k))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if size > self.size:
            raise ValueError(f"the tree has {self.size} leaves, not {size}")
        return EMPTY_ROOT if size == 0 else self.subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size}")
        proof: list[bytes] = []
        start = 0
        while size > 1:  # PATH(m, D[n]) of RFC 6962, iteratively; siblings collected top-down
            k = _split(size)
            if index < k:
                proof.append(self.subtree(start + k, size - k))
                size = k
            else:
                proof.append(self.subtree(start, k))
                start, index, size = start + k, index - k, size - k
        return proof[::-1]

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self.size if second is None else second
        if not 0 < first <= second <= self.size:
            raise ValueError(f"no consistency proof from {first} to {second} (tree of {self.size})")
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, start: int, n: int, complete: bool) -> list[bytes]:
        if m == n:
            return [] if complete else [self.subtree(start, n)]
        k = _split(n)
        if m <= k:
            return self._subproof(m, start, k, complete) + [self.subtree(start + k, n - k)]
        return self._subproof(m - k, start + k, n - k, False) + [self.subtree(start, k)]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does ``proof`` show leaf ``index`` of a tree of ``size`` has hash ``leaf``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: list[bytes]) -> bool:
    """RFC 9162 2.1.4.2: is the tree of ``second`` leaves an append-only extension of the one of ``first``?"""
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if first > second or not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root] + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
