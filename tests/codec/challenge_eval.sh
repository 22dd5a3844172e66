#!/usr/bin/env bash
# The Neuralink compression challenge's scoring steps, as its eval.sh performs them (see
# tests/codec/test_challenge_eval.py): fresh data/ from data.zip, ./encode and ./decode on every
# file, `diff -q` against the original, and the ratio (originals / (compressed + both programs)).
rm -rf data
unzip data.zip

size_of() { find "$1" -printf "%s\n"; }

raw_bytes=0
packed_bytes=$(( $(size_of encode) + $(size_of decode) ))

for original in data/*
do
  echo "Processing $original"
  packed="${original}.brainwire"
  restored="${original}.copy"
  ./encode "$original" "$packed"
  ./decode "$packed" "$restored"
  original_size=$(size_of "$original")
  packed_size=$(size_of "$packed")
  if diff -q "$original" "$restored" > /dev/null; then
    echo "${original} losslessly compressed from ${original_size} bytes to ${packed_size} bytes"
  else
    echo "ERROR: ${original} and ${restored} are different."
    exit 1
  fi
  raw_bytes=$((raw_bytes + original_size))
  packed_bytes=$((packed_bytes + packed_size))
done

echo "All recordings successfully compressed."
echo "Original size (bytes): ${raw_bytes}"
echo "Compressed size (bytes): ${packed_bytes}"
echo "Compression ratio: $(echo "scale=2; ${raw_bytes} / ${packed_bytes}" | bc)"
