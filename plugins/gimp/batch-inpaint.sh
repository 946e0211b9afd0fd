#!/bin/sh
# In-paints the same rectangle of every PNG in a folder with GIMP (3 or 2.10)
# and the libvar plug-in, headless (the README's batch recipe).
#
#   batch-inpaint.sh FOLDER X Y WIDTH HEIGHT [MODEL_DIR]
#
# X or Y below 0 count from the right or bottom edge (-130 = 130 px from the
# right), so one call fits a watermark corner of images of any size.  The
# selection is feathered by 8 px.  Writes FOLDER/NAME-inpainted.png next to
# each FOLDER/NAME.png (seed 1, one variant; all plug-in-var-inpaint arguments
# are in the Script-Fu below).  MODEL_DIR defaults to $VAR_MODEL_DIR, else
# ~/.local/share/libvar/models; $STRENGTH (default 1: every scale regenerated)
# keeps the coarse layout of the filled area below 1.  $GIMP and $GIMP_ARGS (e.g.
# "-g my-gimprc") choose the GIMP: by default gimp-console-3.2 or -3.0 when
# installed (GIMP 3's `gimp` hangs in batch mode), else gimp (2.10).  The
# Script-Fu differs between the versions (GIMP 3 names the plug-in's
# arguments and takes a vector of layers).  GIMP exits 0 even when a batch
# command fails, so the log is checked; the exit status is 0 only if every
# image worked.
set -u
if [ $# -lt 5 ]; then
  echo "usage: $0 FOLDER X Y WIDTH HEIGHT [MODEL_DIR]" >&2
  exit 2
fi
folder=$1 x=$2 y=$3 w=$4 h=$5 model=${6:-} strength=${STRENGTH:-1.0}
# the numbers go into Script-Fu as they are: let nothing else through
for n in "$x" "$y" "$w" "$h" "$strength"; do
  case $n in
    '' | *[!0-9.-]*) echo "$0: '$n' is not a number" >&2; exit 2 ;;
  esac
done
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT

if [ -z "${GIMP:-}" ]; then
  GIMP=gimp
  for g in gimp-console-3.2 gimp-console-3.0; do
    if command -v "$g" > /dev/null 2>&1; then GIMP=$g; break; fi
  done
fi
case "$("$GIMP" --version 2>/dev/null)" in
  *"version 2."*) gimp3=false ;;
  *) gimp3=true ;;
esac

# The Script-Fu of each version: file list, load, selection, plug-in call, save.
if $gimp3; then
  files="(car (file-glob #:pattern \"$folder/*.png\" #:filename-encoding TRUE))"
  load="(gimp-file-load RUN-NONINTERACTIVE file)"
  layer="(vector-ref (car (gimp-image-get-selected-layers image)) 0)"
  size="(iw (car (gimp-image-get-width image))) (ih (car (gimp-image-get-height image)))"
  inpaint="(plug-in-var-inpaint #:run-mode RUN-NONINTERACTIVE #:image image #:drawables (vector layer)
             #:model-dir \"$model\" #:seed 1 #:variants 1 #:strength $strength)"
  save="(gimp-file-save RUN-NONINTERACTIVE image out -1)"
  run="--batch-interpreter=plug-in-script-fu-eval"
  quit="--quit"
else
  files="(cadr (file-glob \"$folder/*.png\" 1))"
  load="(gimp-file-load RUN-NONINTERACTIVE file file)"
  layer="(car (gimp-image-get-active-layer image))"
  size="(iw (car (gimp-image-width image))) (ih (car (gimp-image-height image)))"
  # run-mode image drawable model-dir model backend class cfg top-k top-p seed variants more-smooth
  # strength keep-masked seamless
  inpaint="(plug-in-var-inpaint RUN-NONINTERACTIVE image layer \"$model\" \"\" \"\" -1 4.0 900 0.95 1 1 0
                                $strength 0 1)"
  save="(file-png-save-defaults RUN-NONINTERACTIVE image (car (gimp-image-get-active-drawable image)) out out)"
  run="-b"
  quit="(gimp-quit 0)"
fi

# shellcheck disable=SC2086
"$GIMP" -i ${GIMP_ARGS:-} -b "
(let loop ((files $files) (done 0))
  (cond
    ((null? files) (gimp-message (string-append \"batch-inpaint: \" (number->string done) \" images\")))
    ((string=? (substring (car files) (max 0 (- (string-length (car files)) 14))
                          (string-length (car files))) \"-inpainted.png\")
     (loop (cdr files) done))
    (else
     (let* ((file (car files))
            (out (string-append (substring file 0 (- (string-length file) 4)) \"-inpainted.png\"))
            (image (car $load))
            (layer $layer)
            $size)
       (gimp-image-select-rectangle image CHANNEL-OP-REPLACE
                                    (if (< $x 0) (+ iw $x) $x) (if (< $y 0) (+ ih $y) $y) $w $h)
       (gimp-selection-feather image 8)
       $inpaint
       (gimp-image-flatten image)
       $save
       (gimp-image-delete image)
       (loop (cdr files) (+ done 1))))))" $run "$quit" > "$log" 2>&1 < /dev/null
rc=$?
cat "$log"
if [ $rc -ne 0 ] || grep -q 'execution error' "$log" || ! grep -q 'batch command executed successfully' "$log"; then
  echo "batch-inpaint: failed" >&2
  exit 1
fi
