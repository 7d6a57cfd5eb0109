// Which operators an ONNX graph uses, read straight from the protobuf without loading its weights:
// the walk seeks past initializers, so a 1 GB graph costs a few hundred small reads.
import fs from "node:fs/promises";

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const NODE_OP_TYPE = 4;
const NODE_DOMAIN = 7;
const CHUNK = 1 << 16;

class FileCursor {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;

  constructor(
    private readonly file: fs.FileHandle,
    readonly size: number,
  ) {}

  async bytes(at: number, length: number): Promise<Buffer> {
    if (at < this.bufferStart || at + length > this.bufferStart + this.buffer.length) {
      const want = Math.min(Math.max(length, CHUNK), this.size - at);
      const chunk = Buffer.alloc(want);
      const { bytesRead } = await this.file.read(chunk, 0, want, at);
      this.buffer = chunk.subarray(0, bytesRead);
      this.bufferStart = at;
      if (bytesRead < length) throw new Error("truncated ONNX file");
    }
    return this.buffer.subarray(at - this.bufferStart, at - this.bufferStart + length);
  }

  /** A varint at `at`: its value and the position after it. */
  async varint(at: number): Promise<[number, number]> {
    const head = await this.bytes(at, Math.min(10, this.size - at));
    let value = 0;
    for (let i = 0; i < head.length; i++) {
      value += (head[i] & 0x7f) * 2 ** (7 * i);
      if ((head[i] & 0x80) === 0) return [value, at + i + 1];
    }
    throw new Error("bad varint in ONNX file");
  }
}

/** Calls `visit(field, start, end)` for each length-delimited field in [from, to); skips the rest. */
async function eachField(cursor: FileCursor, from: number, to: number, visit: (field: number, start: number, end: number) => Promise<void>): Promise<void> {
  let at = from;
  while (at < to) {
    const [tag, afterTag] = await cursor.varint(at);
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        at = (await cursor.varint(afterTag))[1];
        break;
      case 1:
        at = afterTag + 8;
        break;
      case 5:
        at = afterTag + 4;
        break;
      case 2: {
        const [length, start] = await cursor.varint(afterTag);
        await visit(field, start, start + length);
        at = start + length;
        break;
      }
      default:
        throw new Error(`unsupported protobuf wire type ${tag & 7} in ONNX file`);
    }
  }
}

/** The top-level graph's operators as `domain:op_type` ("" is the default ONNX domain), e.g. ":MatMul". */
export async function graphOperators(file: string): Promise<Set<string>> {
  const handle = await fs.open(file, "r");
  try {
    const cursor = new FileCursor(handle, (await handle.stat()).size);
    const ops = new Set<string>();
    await eachField(cursor, 0, cursor.size, async (field, start, end) => {
      if (field !== MODEL_GRAPH) return;
      await eachField(cursor, start, end, async (graphField, nodeStart, nodeEnd) => {
        if (graphField !== GRAPH_NODE) return;
        let opType = "";
        let domain = "";
        await eachField(cursor, nodeStart, nodeEnd, async (nodeField, s, e) => {
          if (nodeField === NODE_OP_TYPE) opType = (await cursor.bytes(s, e - s)).toString("utf8");
          else if (nodeField === NODE_DOMAIN) domain = (await cursor.bytes(s, e - s)).toString("utf8");
        });
        ops.add(`${domain === "ai.onnx" ? "" : domain}:${opType}`);
      });
    });
    return ops;
  } finally {
    await handle.close();
  }
}

/**
 * Operators that quantise activations with one scale over the whole input tensor (onnxruntime's
 * `quantize_dynamic`, used for the published int8 CLIP files): a row's result then depends on the
 * other rows of its batch.
 */
const TENSOR_WIDE_QUANTISERS = [":DynamicQuantizeLinear", "com.microsoft:DynamicQuantizeMatMul", "com.microsoft:DynamicQuantizeLSTM"];

export function quantisesAcrossRows(ops: Set<string>): boolean {
  return TENSOR_WIDE_QUANTISERS.some((op) => ops.has(op));
}
