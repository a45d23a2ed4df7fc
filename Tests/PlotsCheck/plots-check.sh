#!/usr/bin/env bash
# Renders the plots that `backprop` draws in headless Chromium and checks
# them there: each SVG must parse as XML in the browser (DOMParser,
# image/svg+xml), lay out with non-empty series inside the picture, and
# screenshot to a non-blank PNG. Run by `make plots-check`.
#
#   Tests/PlotsCheck/plots-check.sh PATH/TO/backprop OUTPUT-DIR
set -euo pipefail

BIN=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

echo "== drawing the plots"
for demo in circles spiral half-adder; do
  "$BIN" demo "$demo" --out "$OUT/demo-$demo" --quiet > "$OUT/demo-$demo.log"
done
# Through `train --plot` too: two features (with a decision boundary) and Iris (loss only).
"$BIN" train --data "$OUT/demo-circles/train.csv" --validation "$OUT/demo-circles/test.csv" \
  --out "$OUT/train-circles.json" --epochs 60 --plot "$OUT/train-circles" --quiet > "$OUT/train-circles.log"
"$BIN" train --data "$ROOT/Tests/Fixtures/iris.csv" --validation-split 0.2 --out "$OUT/iris.json" \
  --plot "$OUT/train-iris" --quiet > "$OUT/train-iris.log"

svgs=$(find "$OUT" -name '*.svg' | sort)
count=0
failed=0
for svg in $svgs; do
  name=${svg#"$OUT/"}
  case "$(basename "$svg")" in
    loss.svg) kind=loss ;;
    decision-boundary.svg) kind=boundary ;;
    *) kind=other ;;
  esac
  page="${svg%.svg}.check.html"
  png="${svg%.svg}.png"
  template=$(sed -e "s|@KIND@|$kind|" -e "s|@NAME@|$name|" "$HERE/check.html")
  # The SVG goes in as base64, spliced between the two halves of the page.
  { printf '%s' "${template%%@SVG_BASE64@*}"; base64 -w0 < "$svg"; printf '%s\n' "${template#*@SVG_BASE64@}"; } > "$page"

  result=$(timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
             --virtual-time-budget=5000 --dump-dom "file://$page" 2>/dev/null \
           | grep -o 'PLOTCHECK [A-Z]*[^<]*' | head -1 || true)
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
    --window-size=800,620 --screenshot="$png" "file://$svg" > /dev/null 2>&1 || true
  size=$(stat -c %s "$png" 2>/dev/null || echo 0)
  count=$((count + 1))
  if [[ "$result" == "PLOTCHECK PASS"* ]] && (( size > 12000 )); then
    echo "ok    $name: ${result#PLOTCHECK PASS }, screenshot $((size / 1024)) KiB"
  else
    failed=$((failed + 1))
    echo "FAIL  $name: ${result:-no result from chromium}, screenshot $size bytes"
  fi
done

echo "== $count plots rendered in Chromium ($("$CHROMIUM" --version 2>/dev/null | head -1)); PNGs beside the SVGs in $OUT"
if (( failed > 0 || count < 8 )); then
  echo "plots-check: $failed of $count plots failed"
  exit 1
fi
echo "plots-check: all $count plots passed"
