"""Similarity of signal windows: locality-sensitive hashes first, exact measures on collisions.

- measures: banded DTW, Euclidean, cross-correlation and 1-D EMD, one pair or one against many.
- exact_search: exact top-k and threshold search (DTW pruned by lower bounds).
- hashes: hash families with one interface (``make_hash``, ``hash_from_config``).
- streaming: ``StreamingHasher`` hashes every sliding window of every channel as chunks arrive.
- index / search: a site's ``HashIndex`` with retention, and ``SimilarityIndex`` (hash candidates
  confirmed or re-ranked with the exact measure).
- hash_compression: HCOMP coding of hash streams for the wire.
- find: ``find_similar``, what ``cortexlink similar`` runs.
"""

from cortexlink.similarity.exact_search import exact_top_k, within
from cortexlink.similarity.find import SimilarResult, find_similar
from cortexlink.similarity.hash_compression import compress_hashes, decompress_hashes
from cortexlink.similarity.hashes import HashFamily, PStableHash, SketchHash, hash_from_config, make_hash
from cortexlink.similarity.index import Candidates, HashIndex
from cortexlink.similarity.measures import MEASURES, distance, distances, dtw, emd, euclidean, xcor_distance
from cortexlink.similarity.search import Matches, SignalRing, SimilarityIndex, confirm
from cortexlink.similarity.streaming import HashedWindows, StreamingHasher

__all__ = [
    "MEASURES", "Candidates", "HashFamily", "HashIndex", "HashedWindows", "Matches", "PStableHash",
    "SignalRing", "SimilarResult", "SimilarityIndex", "SketchHash", "StreamingHasher", "compress_hashes",
    "confirm", "decompress_hashes", "distance", "distances", "dtw", "emd", "euclidean", "exact_top_k",
    "find_similar", "hash_from_config", "make_hash", "within", "xcor_distance",
]
