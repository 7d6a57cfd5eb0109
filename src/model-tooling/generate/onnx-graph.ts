// A small ONNX graph builder over onnx-proto: named tensors in, nodes appended in order, one
// serialised ModelProto out. Enough for the transformer graphs the generators write.
import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

export type ElemType = "float32" | "int64";
export type Dim = number | string;
type AttrValue = number | number[] | string | { float: number };

export const OPSET = 17;
const INT64_MAX = 9223372036854775807n;

function elemCode(type: ElemType): number {
  return type === "float32" ? DataType.FLOAT : DataType.INT64;
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: elemCode(type), shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, value: AttrValue): OnnxTypes.IAttributeProto {
  if (typeof value === "string") return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttrType.INTS, ints: value };
  if (typeof value === "object") return { name, type: AttrType.FLOAT, f: value.float };
  return { name, type: AttrType.INT, i: value };
}

export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();
  private readonly weightNames = new Set<string>();

  constructor(private readonly graphName: string) {}

  private fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(tensor: string, name: string, type: ElemType, dims: Dim[]): void {
    this.op("Identity", [tensor], {}, name);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 weight; `name` is kept so a graph can be inspected by parameter name. */
  weight(name: string, data: Float32Array, dims: number[]): string {
    if (this.weightNames.has(name)) return name;
    this.weightNames.add(name);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  int64(values: (number | bigint)[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join("x")}:${values.join(",")}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh("const_i64");
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) });
    this.constants.set(key, name);
    return name;
  }

  float(values: number[], dims: number[] = [values.length]): string {
    const key = `f32:${dims.join("x")}:${values.join(",")}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh("const_f32");
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) });
    this.constants.set(key, name);
    return name;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const out = outputName ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      name: this.fresh(`n_${opType}`),
      input: inputs,
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  // ---- helpers used by the transformer builders ----

  /** [1] int64 holding the batch size of `ref` (its first dimension). */
  batchDim(ref: string): string {
    return this.op("Slice", [this.op("Shape", [ref]), this.int64([0]), this.int64([1])]);
  }

  /** A shape [batch, ...dims] for Expand, with batch taken from `ref`. */
  batchShape(ref: string, dims: number[]): string {
    return this.op("Concat", [this.batchDim(ref), this.int64(dims)], { axis: 0 });
  }

  sliceAxis(x: string, axis: number, start: number, end: number | bigint = INT64_MAX): string {
    return this.op("Slice", [x, this.int64([start]), this.int64([end]), this.int64([axis])]);
  }

  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "mmrag-generator",
      opsetImport: [{ domain: "", version: OPSET }],
      graph: { name: this.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
