// raster.js: the reader's strokes -> the 28 x 28 image the encoder sees, MNIST's way.
//
// MNIST's digits were scaled to fit a 20 x 20 box (keeping their aspect ratio) and centred in
// 28 x 28 by their centre of mass. Here the strokes are kept as points, so the pen width does
// not depend on how large the reader draws:
//   1. scale the points so the drawing's longer side spans BOX - PEN pixels (with the pen's
//      width the ink then fills BOX pixels), centre its bounding box in the 28 x 28 field;
//   2. ink every pixel by the pen (a disc of diameter PEN swept along the strokes), averaged
//      over SUB x SUB sample points per pixel with a soft edge one sample wide;
//   3. shift the image by whole pixels so its centre of mass lands in the middle.
// web.rasterize is the reference implementation in Python; the tests compare the two.
VT.raster = {SIZE: 28, BOX: 20, PEN: 3, SUB: 4, MIN_EXTENT: 0.1};

// strokes: arrays of [x, y] points in pad units (0..1, y down) -> Float64Array(784) in [0, 1]
VT.raster.rasterize = function (strokes) {
  const R = VT.raster, N = R.SIZE, S = R.SUB, M = N * S, image = new Float64Array(N * N);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const stroke of strokes) {
    for (const [x, y] of stroke) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  if (x0 === Infinity) return image;
  // a dot or a tiny scribble is not blown up to fill the box
  const scale = (R.BOX - R.PEN) / Math.max(x1 - x0, y1 - y0, R.MIN_EXTENT);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, half = R.PEN / 2, reach = half + 1 / S;
  const reach2 = reach * reach;                       // farther samples get no ink
  // squared distance of each sample to the ink (one buffer, reused: less garbage per move)
  if (!R.buffer || R.buffer.length !== M * M) R.buffer = new Float64Array(M * M);
  const d2 = R.buffer.fill(Infinity);
  for (const stroke of strokes) {
    const p = stroke.map(([x, y]) => [(x - cx) * scale + N / 2, (y - cy) * scale + N / 2]);
    const segments = Math.max(p.length - 1, 1);       // a single point is a segment of length 0
    for (let k = 0; k < segments; k++) {
      const [ax, ay] = p[k], [bx, by] = p[Math.min(k + 1, p.length - 1)];
      const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
      // the samples within reach of this segment (sample a sits at (a + 0.5) / S pixels)
      const c0 = Math.max(0, Math.floor((Math.min(ax, bx) - reach) * S - 0.5));
      const c1 = Math.min(M - 1, Math.ceil((Math.max(ax, bx) + reach) * S - 0.5));
      const r0 = Math.max(0, Math.floor((Math.min(ay, by) - reach) * S - 0.5));
      const r1 = Math.min(M - 1, Math.ceil((Math.max(ay, by) + reach) * S - 0.5));
      for (let r = r0; r <= r1; r++) {
        const sy = (r + 0.5) / S;
        for (let c = c0; c <= c1; c++) {
          const sx = (c + 0.5) / S;
          let t = len2 > 0 ? ((sx - ax) * dx + (sy - ay) * dy) / len2 : 0;
          t = Math.min(1, Math.max(0, t));
          const ex = ax + t * dx - sx, ey = ay + t * dy - sy, e2 = ex * ex + ey * ey;
          if (e2 < d2[r * M + c]) d2[r * M + c] = e2;
        }
      }
    }
  }
  const raw = new Float64Array(N * N);
  let total = 0, my = 0, mx = 0;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      let v = 0;
      for (let a = 0; a < S; a++) {
        for (let b = 0; b < S; b++) {
          const e2 = d2[(i * S + a) * M + j * S + b];
          if (e2 < reach2) v += Math.min(1, Math.max(0, (half - Math.sqrt(e2)) * S + 0.5));
        }
      }
      v /= S * S;
      raw[i * N + j] = v;
      total += v; my += v * (i + 0.5); mx += v * (j + 0.5);
    }
  }
  if (total === 0) return image;
  const sy = Math.floor(N / 2 - my / total + 0.5), sx = Math.floor(N / 2 - mx / total + 0.5);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const ti = i + sy, tj = j + sx;
      if (ti >= 0 && ti < N && tj >= 0 && tj < N) image[ti * N + tj] = raw[i * N + j];
    }
  }
  return image;
};
