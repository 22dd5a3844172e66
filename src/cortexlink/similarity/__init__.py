"""Similarity of signal windows: locality-sensitive hashes first, exact measures on collisions.

- measures: banded DTW, Euclidean, cross-correlation and 1-D EMD, one pair or one against many.
- exact_search: exact top-k and threshold search (DTW pruned by lower bounds).
- hashes: hash families with one interface (``make_hash``, ``hash_from_config``).
- streaming: ``StreamingHasher`` hashes every sliding window of every channel as chunks arrive.
"""

from cortexlink.similarity.exact_search import exact_top_k, within
from cortexlink.similarity.hashes import HashFamily, PStableHash, SketchHash, hash_from_config, make_hash
from cortexlink.similarity.measures import MEASURES, distance, distances, dtw, emd, euclidean, xcor_distance
from cortexlink.similarity.streaming import HashedWindows, StreamingHasher

__all__ = [
    "MEASURES", "HashFamily", "HashedWindows", "PStableHash", "SketchHash", "StreamingHasher", "distance",
    "distances", "dtw", "emd", "euclidean", "exact_top_k", "hash_from_config", "make_hash", "within",
    "xcor_distance",
]
