#!/bin/sh
# Headless GIMP test of the libvar plug-in (GIMP 2.10, or GIMP 3 when
# $LIBVAR_GIMP names gimp-console-3.0), in a throw-away profile.
#
#   gimp-headless.sh full PLUGIN MODEL_DIR PNGCHECK.py
#       loads a PNG, selects an antialiased ellipse and runs plug-in-var-inpaint
#       (2 variants), plug-in-var-outpaint (into an enlarged canvas, then by
#       margins) and plug-in-var-generate non-interactively; checks the new
#       layers in Script-Fu (count, size, offsets, visibility, canvas size) and
#       their pixels in pngcheck.py (outside the selection bit-identical, inside
#       changed, the original layer untouched); then checks that in-painting
#       without a selection fails with its message.
#   gimp-headless.sh batch PLUGIN MODEL_DIR PNGCHECK.py BATCH_SCRIPT
#       the README's batch recipe (plugins/gimp/batch-inpaint.sh) on a folder of
#       two PNGs of different sizes: each gets its -inpainted.png, changed inside
#       the rectangle and unchanged away from it.
#   gimp-headless.sh i18n PLUGIN MODEL_DIR LOCALEDIR
#       the same failure under LANGUAGE=de: the message must be the German one
#       from LOCALEDIR/de/LC_MESSAGES/libvar-gimp.mo.
#
# On GIMP 3 the full scenario is gimp3-scenario.py (Python-Fu, the procedures
# looked up by name and their arguments set by name; it also in-paints two
# selected layers at once), the failures are called from Script-Fu (named
# arguments), and the i18n test also requires the German menu label.
#
# MODEL_DIR is any folder var_model_load_dir accepts (the tiny golden model by
# default; see tests/meson.build).  GIMP exits 0 even when a batch command
# fails, so the log is checked, and the test ends with an explicit PASS line.
set -u
mode=$1 plugin=$2 model=$3 extra=$4
# the transformer the plug-in picks (the smallest present), as result layers name it
model_stem=$(for f in "$model"/var_d*.pth; do basename "$f" .pth; done | sort -t d -k 2 -n | head -n 1)

gimp=${LIBVAR_GIMP:-gimp}
case "$("$gimp" --version 2>/dev/null)" in
  *"version 2."*) gimp3=false ;;
  *) gimp3=true ;;
esac
here=$(cd "$(dirname "$0")" && pwd)

T=$(mktemp -d "${TMPDIR:-/tmp}/libvar-gimp-test.XXXXXX") || exit 1
trap '[ -n "${KEEP_T:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/home" "$T/plug-ins/libvar-gimp" "$T/out"
cp "$plugin" "$T/plug-ins/libvar-gimp/libvar-gimp" || exit 1

# Keep GIMP away from the user's profile: its own HOME, XDG folders and
# GIMP2_DIRECTORY (created by GIMP itself); the plug-in comes in through the
# plug-in-path of a gimprc of our own.
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_CACHE_HOME="$T/home/.cache" \
       XDG_DATA_HOME="$T/home/.local/share" GIMP2_DIRECTORY="$T/gimpdir" GIMP3_DIRECTORY="$T/gimpdir"
unset DISPLAY
export BABL_INHIBIT_CACHE=1 VAR_THREADS="${VAR_THREADS:-2}" OPENBLAS_NUM_THREADS=1
printf '(plug-in-path "${gimp_dir}/plug-ins:${gimp_plug_in_dir}/plug-ins:%s")\n' "$T/plug-ins" > "$T/gimprc"

# A damaged copy of the model (one flipped byte in a tensor's data) must fail
# with libvar's verification message before any pixel is made.
mkdir -p "$T/damaged" && cp "$model"/*.pth "$T/damaged/" || exit 1
python3 - "$T/damaged" <<'PYEOF' || exit 1
import glob, sys
p = sorted(glob.glob(sys.argv[1] + "/var_*.pth"))[0]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x40
open(p, "wb").write(b)
PYEOF

# In-painting an image without a selection must fail with a clear message;
# a strength outside 0..1 must fail with libvar's message.
if $gimp3; then
  inpaint3="plug-in-var-inpaint #:run-mode RUN-NONINTERACTIVE #:image image #:drawables (vector layer)
            #:model-dir \"$model\" #:backend \"cpu\""
  noselection="(let* ((image (car (gimp-image-new 32 32 RGB)))
       (layer (car (gimp-layer-new image \"bg\" 32 32 RGB-IMAGE 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer image layer 0 0)
  ($inpaint3))"
  badstrength="(let* ((image (car (gimp-image-new 32 32 RGB)))
       (layer (car (gimp-layer-new image \"bg\" 32 32 RGB-IMAGE 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer image layer 0 0)
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 8 8 8 8)
  ($inpaint3 #:strength 2.0))"
  damaged="(let* ((image (car (gimp-image-new 32 32 RGB)))
       (layer (car (gimp-layer-new image \"bg\" 32 32 RGB-IMAGE 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer image layer 0 0)
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 8 8 8 8)
  (plug-in-var-inpaint #:run-mode RUN-NONINTERACTIVE #:image image #:drawables (vector layer)
            #:model-dir \"$T/damaged\" #:backend \"cpu\"))"
else
  noselection="(let* ((image (car (gimp-image-new 32 32 RGB)))
       (layer (car (gimp-layer-new image 32 32 RGB-IMAGE \"bg\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer image layer 0 0)
  (plug-in-var-inpaint RUN-NONINTERACTIVE image layer \"$model\" \"\" \"cpu\" -1 4.0 900 0.95 0 1 0 1.0 0 1))"
  badstrength="(let* ((image (car (gimp-image-new 32 32 RGB)))
       (layer (car (gimp-layer-new image 32 32 RGB-IMAGE \"bg\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer image layer 0 0)
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 8 8 8 8)
  (plug-in-var-inpaint RUN-NONINTERACTIVE image layer \"$model\" \"\" \"cpu\" -1 4.0 900 0.95 0 1 0 2.0 0 1))"
  damaged="(let* ((image (car (gimp-image-new 32 32 RGB)))
       (layer (car (gimp-layer-new image 32 32 RGB-IMAGE \"bg\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer image layer 0 0)
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 8 8 8 8)
  (plug-in-var-inpaint RUN-NONINTERACTIVE image layer \"$T/damaged\" \"\" \"cpu\" -1 4.0 900 0.95 0 1 0 1.0 0 1))"
fi

# run_gimp [python] -b CMD...: Script-Fu commands (or Python-Fu ones), then
# quit.  GIMP 2.10 exits 0 even when a command fails; GIMP 3 stops at the
# first failing command and exits 70, which callers that expect a failure
# allow with may_fail=true.
may_fail=false
run_gimp() {
  if $gimp3; then
    interp=plug-in-script-fu-eval
    [ "$1" = python ] && { interp=python-fu-eval; shift; }
    timeout 240 "$gimp" -i -n --stack-trace-mode=never -g "$T/gimprc" --batch-interpreter=$interp "$@" --quit \
      > "$T/gimp.log" 2>&1 < /dev/null
  else
    timeout 240 "$gimp" -i -d -f --stack-trace-mode=never -g "$T/gimprc" "$@" -b '(gimp-quit 0)' \
      > "$T/gimp.log" 2>&1 < /dev/null
  fi
  rc=$?
  cat "$T/gimp.log"
  if [ $rc -ne 0 ] && ! { $may_fail && $gimp3 && [ $rc -eq 70 ]; }; then
    echo "FAIL: gimp exited with $rc"
    exit 1
  fi
}

if [ "$mode" = i18n ]; then
  export LIBVAR_GIMP_LOCALEDIR="$extra" LANGUAGE=de LC_ALL=C.UTF-8
  if $gimp3 && ! locale -a 2>/dev/null | grep -qi '^de_DE'; then
    # Newer C libraries (Debian 13's) ignore LANGUAGE under C.UTF-8 and the
    # root has no German locale: a copy of C.UTF-8 named de_DE.UTF-8 is enough
    # for gettext, which picks the catalogue by the locale's name.
    mkdir -p "$T/locale" && cp -r /usr/lib/locale/C.utf8 "$T/locale/de_DE.UTF-8" || exit 1
    export LOCPATH="$T/locale" LC_ALL=de_DE.UTF-8
  fi
  may_fail=true run_gimp -b "$noselection"
  if $gimp3; then
    # GIMP 3 keeps the menu labels as the plug-in (translated) registered them.
    if ! grep -q 'VAR _Einfüllen' "$T/gimpdir/pluginrc"; then
      echo "FAIL: the menu label is not German (pluginrc)"
      exit 1
    fi
  # GIMP 2.10 translates the menu labels through the domain the plug-in registers.
  elif ! grep -q '(locale-def "libvar-gimp"' "$T/gimpdir/pluginrc"; then
    echo "FAIL: the plug-in did not register its gettext domain (pluginrc)"
    exit 1
  fi
  if grep -q 'Es gibt keine Auswahl' "$T/gimp.log"; then
    echo "PASS: the plug-in's message is German under LANGUAGE=de"
    exit 0
  fi
  echo "FAIL: no German message from the plug-in in the log"
  exit 1
fi

checker=$extra
if [ "$mode" = batch ]; then
  mkdir -p "$T/photos"
  python3 "$checker" make "$T/photos/a.png" 96 80 && python3 "$checker" make "$T/photos/b.png" 120 72 || exit 1
  if $gimp3; then args="-n --stack-trace-mode=never -g $T/gimprc"; else args="-d -f --stack-trace-mode=never -g $T/gimprc"; fi
  GIMP=$gimp GIMP_ARGS="$args" timeout 240 sh "$5" "$T/photos" -50 -40 40 30 "$model" || exit 1
  for n in a b; do
    python3 "$checker" rect "$T/photos/$n.png" "$T/photos/$n-inpainted.png" -50 -40 40 30 10 || exit 1
  done
  [ ! -e "$T/photos/a-inpainted-inpainted.png" ] || { echo "FAIL: results were in-painted again"; exit 1; }
  # an image that fails (here: not a PNG at all) fails the run with GIMP's error
  mkdir -p "$T/bad" && echo "not a picture" > "$T/bad/broken.png"
  GIMP=$gimp GIMP_ARGS="$args" timeout 240 sh "$5" "$T/bad" 0 0 8 8 "$model" > "$T/bad.log" 2>&1
  if [ $? -ne 1 ] || ! grep -q 'batch-inpaint: failed' "$T/bad.log" || ! grep -qi 'error' "$T/bad.log"; then
    cat "$T/bad.log"; echo "FAIL: a broken image did not fail the batch"; exit 1
  fi
  STRENGTH='0.5) (gimp-quit 1' sh "$5" "$T/photos" 0 0 8 8 "$model" 2> "$T/err.txt"
  [ $? -eq 2 ] && grep -q 'is not a number' "$T/err.txt" || { echo "FAIL: a non-number STRENGTH was let through"; exit 1; }
  echo "PASS: the batch recipe in-painted the folder"
  exit 0
fi
python3 "$checker" make "$T/in.png" || exit 1
O="$T/out"
if $gimp3; then
  VARTEST_IN="$T/in.png" VARTEST_OUT="$O" VARTEST_MODEL="$model" VARTEST_MODEL_STEM="$model_stem" \
    run_gimp python -b "exec(open('$here/gimp3-scenario.py').read())"
  cp "$T/gimp.log" "$T/scenario.log"
  status=0
  grep -q 'VARTEST DONE 0 failed' "$T/scenario.log" || { echo "FAIL: the Python-Fu scenario did not pass"; status=1; }
  grep -q 'VARTEST FAILED' "$T/scenario.log" && { echo "FAIL: a Python-Fu check failed"; status=1; }
  # GIMP 3 stops at the first failing command and exits 70: one run each
  may_fail=true run_gimp -b "$noselection"
  if [ $rc -ne 70 ] || ! grep -q 'There is no selection. Select the area to in-paint first' "$T/gimp.log"; then
    echo "FAIL: in-painting without a selection did not fail with its message (Script-Fu)"; status=1
  fi
  may_fail=true run_gimp -b "$badstrength"
  if [ $rc -ne 70 ] || ! grep -q 'strength must be between 0 and 1' "$T/gimp.log"; then
    echo "FAIL: a strength of 2 did not fail with libvar's message (Script-Fu)"; status=1
  fi
  may_fail=true run_gimp -b "$damaged"
  if [ $rc -ne 70 ] || ! grep -q 'The VAR model is damaged: .*is damaged: CRC-32' "$T/gimp.log"; then
    echo "FAIL: a damaged model did not fail with the verification message (Script-Fu)"; status=1
  fi
  [ $status -eq 0 ] || exit 1
  python3 "$checker" check "$O" || exit 1
  echo "PASS: libvar GIMP 3 plug-in headless test"
  exit 0
fi
scenario="(begin
 (define (check ok what) (if ok (gimp-message (string-append \"VARTEST ok \" what))
                                (error (string-append \"VARTEST FAILED \" what))))
 (define (save image drawable name)
   (file-png-save RUN-NONINTERACTIVE image drawable (string-append \"$O/\" name) name 0 9 0 0 0 0 0))
 (define model \"$model\")
 (define model-stem \"$model_stem\")
 (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$T/in.png\" \"in.png\")))
        (layer (car (gimp-image-get-active-layer image))))
   (save image layer \"orig.png\")
   (gimp-context-set-antialias TRUE)
   (gimp-context-set-feather FALSE)
   (gimp-image-select-ellipse image CHANNEL-OP-REPLACE 30 20 36 30)
   (let* ((chan (car (gimp-selection-save image)))
          (masklayer (car (gimp-layer-new-from-drawable chan image))))
     (gimp-image-insert-layer image masklayer 0 -1)
     (save image masklayer \"selection.png\")
     (gimp-image-remove-layer image masklayer)
     (gimp-image-remove-channel image chan))
   (gimp-image-set-active-layer image layer)

   (let* ((r (plug-in-var-inpaint RUN-NONINTERACTIVE image layer model \"\" \"cpu\" -1 4.0 900 0.95 3 2 0 1.0 0 1))
          (l1 (car r)) (l2 (vector-ref (cadr (gimp-image-get-layers image)) 1)))
     (check (= (cadr r) 2) \"inpaint returned 2 layers\")
     (check (= (car (gimp-image-get-layers image)) 3) \"image has 3 layers after inpaint\")
     (check (equal? (gimp-drawable-offsets l1) '(0 0)) \"inpaint layer at the layer's offsets\")
     (check (= (car (gimp-item-get-visible l1)) TRUE) \"first variant visible\")
     (check (= (car (gimp-item-get-visible l2)) FALSE) \"second variant hidden\")
     (check (= (car (gimp-image-get-item-position image l1)) 0) \"first variant on top\")
     (check (= (car (gimp-image-get-item-position image layer)) 2) \"original layer below the results\")
     (check (= (car (gimp-selection-is-empty image)) FALSE) \"selection kept\")
     (save image l1 \"inpaint-1.png\")
     (save image l2 \"inpaint-2.png\")
     (save image layer \"orig-after-inpaint.png\")
     (gimp-image-remove-layer image l1)
     (gimp-image-remove-layer image l2))

   (gimp-selection-none image)
   (gimp-image-resize image 128 96 16 8)
   (let* ((r (plug-in-var-outpaint RUN-NONINTERACTIVE image layer model \"\" \"cpu\" -1 4.0 900 0.95 5 1 0 0 0 0 0 1.0 0 1))
          (l (car r)))
     (check (= (cadr r) 1) \"outpaint returned 1 layer\")
     (check (= (car (gimp-image-get-layers image)) 2) \"image has 2 layers after outpaint\")
     (check (equal? (gimp-drawable-offsets l) '(0 0)) \"outpaint layer covers the canvas\")
     (check (= (car (gimp-image-width image)) 128) \"canvas width unchanged without margins\")
     (save image l \"outpaint.png\")
     (save image layer \"orig-after-outpaint.png\")
     (gimp-image-remove-layer image l))

   (let* ((r (plug-in-var-outpaint RUN-NONINTERACTIVE image layer model \"\" \"cpu\" -1 4.0 900 0.95 7 1 0 16 0 0 8 0.5 1 0))
          (l (car r)))
     (check (= (car (gimp-image-width image)) 144) \"margins: canvas 16 px wider\")
     (check (= (car (gimp-image-height image)) 104) \"margins: canvas 8 px higher\")
     (check (equal? (gimp-drawable-offsets layer) '(32 8)) \"margins: original layer moved with the canvas\")
     (check (equal? (car (gimp-item-get-name l))
                    (string-append \"VAR outpaint \" model-stem
                                   \" seed=7 cfg=4 top_k=900 top_p=0.95 more_smooth=0 class=-1 fill=original\"
                                   \" strength=0.5 seamless=0\"))
            (string-append \"margins: strength, keep-masked and seamless reached libvar: \"
                           (car (gimp-item-get-name l))))
     (save image l \"outpaint-margins.png\")
     (gimp-image-remove-layer image l))

   (let* ((r (plug-in-var-generate RUN-NONINTERACTIVE image layer model \"\" \"cpu\" 3 4.0 900 0.95 11 1 0))
          (l (car r)))
     (check (= (cadr r) 1) \"generate returned 1 layer\")
     (let ((size (car (gimp-drawable-width l))))
       (check (= (car (gimp-drawable-height l)) size) \"generated layer is square (the model's size)\")
       (check (equal? (gimp-drawable-offsets l) (list (quotient (- 144 size) 2) (quotient (- 104 size) 2)))
              \"generated layer centred\"))
     (save image l \"generate.png\"))
   (gimp-image-delete image))

 ; 16-bit linear and greyscale images: kept pixels are the original's at full precision
 ; (sampled with gimp-drawable-get-pixel, which returns the raw bytes of the pixel)
 (define (same-outside? a b)
   (and (equal? (gimp-drawable-get-pixel a 0 0) (gimp-drawable-get-pixel b 0 0))
        (equal? (gimp-drawable-get-pixel a 95 79) (gimp-drawable-get-pixel b 95 79))
        (equal? (gimp-drawable-get-pixel a 10 40) (gimp-drawable-get-pixel b 10 40))
        (equal? (gimp-drawable-get-pixel a 80 10) (gimp-drawable-get-pixel b 80 10))
        (equal? (gimp-drawable-get-pixel a 29 35) (gimp-drawable-get-pixel b 29 35))
        (equal? (gimp-drawable-get-pixel a 67 35) (gimp-drawable-get-pixel b 67 35))))
 (define (inpaint-converted what convert bpp type)
   (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$T/in.png\" \"in.png\")))
          (layer (car (gimp-image-get-active-layer image))))
     (convert image)
     (gimp-layer-add-alpha layer)
     (gimp-image-select-ellipse image CHANNEL-OP-REPLACE 30 20 36 30)
     (let* ((l (car (plug-in-var-inpaint RUN-NONINTERACTIVE image layer model \"\" \"cpu\" -1 4.0 900 0.95 3 1 0 1.0 0 1))))
       (check (= (car (gimp-drawable-bpp l)) bpp) (string-append what \": result layer in the image's precision\"))
       (check (= (car (gimp-drawable-type l)) type) (string-append what \": result layer type\"))
       (check (same-outside? l layer) (string-append what \": sampled pixels outside the selection identical\"))
       (check (not (equal? (gimp-drawable-get-pixel l 48 35) (gimp-drawable-get-pixel layer 48 35)))
              (string-append what \": centre of the selection changed\")))
     (gimp-image-delete image)))
 (inpaint-converted \"16-bit linear\" (lambda (image) (gimp-image-convert-precision image PRECISION-U16-LINEAR))
                    8 RGBA-IMAGE)
 (inpaint-converted \"greyscale\" (lambda (image) (gimp-image-convert-grayscale image)) 2 GRAYA-IMAGE))"

run_gimp -b "$scenario" -b "$noselection" -b "$badstrength" -b "$damaged"
status=0
# Four batch commands: the scenario must succeed, the no-selection, bad-strength and damaged-model calls must
# fail with their messages.
if [ "$(grep -c 'batch command executed successfully' "$T/gimp.log")" -ne 1 ]; then
  echo "FAIL: the scenario did not complete"; status=1
fi
if [ "$(grep -c 'execution error' "$T/gimp.log")" -ne 3 ] \
   || ! grep -q 'There is no selection. Select the area to in-paint first' "$T/gimp.log"; then
  echo "FAIL: in-painting without a selection did not fail with its message"; status=1
fi
if ! grep -q 'strength must be between 0 and 1' "$T/gimp.log"; then
  echo "FAIL: a strength of 2 did not fail with libvar's message"; status=1
fi
if ! grep -q 'The VAR model is damaged: .*is damaged: CRC-32' "$T/gimp.log"; then
  echo "FAIL: a damaged model did not fail with the verification message"; status=1
fi
if grep -q 'VARTEST FAILED' "$T/gimp.log"; then
  echo "FAIL: a Script-Fu check failed"; status=1
fi
[ $status -eq 0 ] || exit 1
python3 "$checker" check "$O" || exit 1
echo "PASS: libvar GIMP plug-in headless test"
