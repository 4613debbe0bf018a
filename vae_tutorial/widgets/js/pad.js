// pad.js: a drawing pad for mouse, touch and pen (pointer events), kept as strokes.
//
// VT.pad(size, onChange, hint) -> {canvas, strokes, reset(), clear(), set(strokes)}; hint: what
// the empty pad says (default "draw a digit here"). Strokes are lists of [x, y] in pad units
// (0..1, y down), the input of VT.raster.rasterize. onChange(done) runs
// after every change (done: the stroke ended, or the pad was cleared or set). A new point is
// kept only once the pointer has moved MIN_STEP from the last one, so a slow hand does not pile
// up points the raster would visit in vain.
const V = VT.view, MIN_STEP = 0.008;

VT.pad = function (size, onChange, hint) {
  const canvas = V.canvas(size, size, {class: "vae-w-pad", role: "img",
    "aria-label": `drawing pad: ${hint || "draw a digit"} with the mouse, a finger or a pen`});
  const strokes = [];
  let active = null;

  function paint() {
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, size, size);
    if (!strokes.length) {   // an empty pad says what it is for (only strokes reach the raster)
      ctx.fillStyle = V.rgba(V.ink(canvas), 0.45);
      ctx.font = Math.round(size / 11) + "px sans-serif";
      ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText(hint || "draw a digit here", size / 2, size / 2);
      return;
    }
    ctx.strokeStyle = ctx.fillStyle = V.rgba(V.ink(canvas), 1);
    ctx.lineWidth = size * 0.07; ctx.lineCap = ctx.lineJoin = "round";
    for (const stroke of strokes) {
      ctx.beginPath();
      ctx.moveTo(stroke[0][0] * size, stroke[0][1] * size);
      for (const [x, y] of stroke) ctx.lineTo(x * size, y * size);
      if (stroke.length === 1) ctx.lineTo(stroke[0][0] * size + 0.01, stroke[0][1] * size);
      ctx.stroke();
    }
  }
  function at(event) {
    const box = canvas.getBoundingClientRect();
    return [Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)),
            Math.min(1, Math.max(0, (event.clientY - box.top) / box.height))];
  }
  canvas.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    V.capture(canvas, event);
    active = event.pointerId;
    strokes.push([at(event)]);
    paint(); onChange(false);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== active) return;
    const stroke = strokes[strokes.length - 1], last = stroke[stroke.length - 1], p = at(event);
    if (Math.hypot(p[0] - last[0], p[1] - last[1]) < MIN_STEP) return;
    stroke.push(p);
    paint(); onChange(false);
  });
  const end = (event) => {
    if (event.pointerId !== active) return;
    active = null;
    onChange(true);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  VT.onTheme(() => { if (!canvas.isConnected) return false; paint(); });
  requestAnimationFrame(() => { if (!strokes.length) paint(); });   // the hint, once on the page
  return {
    canvas, strokes,
    reset() { strokes.length = 0; active = null; paint(); },         // no onChange
    clear() { this.reset(); onChange(true); },
    set(newStrokes) { strokes.length = 0; strokes.push(...newStrokes); paint(); onChange(true); },
  };
};
