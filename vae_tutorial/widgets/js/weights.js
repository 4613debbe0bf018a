// weights.js: turn the base64 blobs of web.py into typed arrays.
//
// A layer arrives as {in, out, act, format, w, b, scale}: w is the (out x in) weight matrix,
// row-major, stored as "float32", "float16" or "int8" (one float32 scale per row: w = q * scale);
// b, the bias, is always float32. Everything is little-endian, as web.py writes it.
VT.weights = {};

VT.weights.bytes = function (b64) {
  const text = atob(b64), out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
};

VT.weights.float32 = function (b64) {
  return new Float32Array(VT.weights.bytes(b64).buffer);
};

// IEEE 754 half precision -> number (exact: every float16 is a float32)
function float16(h) {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * Math.pow(2, -24);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * Math.pow(2, exponent - 15);
}

VT.weights.matrix = function (layer) {
  const n = layer.in * layer.out, bytes = VT.weights.bytes(layer.w);
  if (layer.format === "float32") return new Float32Array(bytes.buffer);
  const w = new Float32Array(n);
  if (layer.format === "float16") {
    const halves = new Uint16Array(bytes.buffer);
    for (let i = 0; i < n; i++) w[i] = float16(halves[i]);
  } else if (layer.format === "int8") {
    // stored in a Float32Array, q * scale rounds exactly as PyTorch's float32 product does
    const q = new Int8Array(bytes.buffer), scale = VT.weights.float32(layer.scale);
    for (let j = 0; j < layer.out; j++) {
      for (let i = j * layer.in, end = i + layer.in; i < end; i++) w[i] = q[i] * scale[j];
    }
  } else {
    throw new Error("unknown weight format " + layer.format);
  }
  return w;
};

VT.weights.layer = function (layer) {
  return {in: layer.in, out: layer.out, act: layer.act,
          W: VT.weights.matrix(layer), B: VT.weights.float32(layer.b)};
};

// Data that is not a layer: {name: {dtype, b64, scale?}} fields become typed arrays
// (int16 values with a scale become Float32Array values * scale); other fields pass through.
VT.weights.payload = function (payload) {
  const out = {};
  for (const [name, value] of Object.entries(payload)) {
    if (!value || typeof value !== "object" || !value.dtype) {
      out[name] = value;
      continue;
    }
    const buffer = VT.weights.bytes(value.b64).buffer;
    if (value.dtype === "uint8") out[name] = new Uint8Array(buffer);
    else if (value.dtype === "float32") out[name] = new Float32Array(buffer);
    else if (value.dtype === "int16") {
      const q = new Int16Array(buffer), v = new Float32Array(q.length);
      for (let i = 0; i < q.length; i++) v[i] = q[i] * value.scale;
      out[name] = v;
    } else throw new Error("unknown dtype " + value.dtype);
  }
  return out;
};
