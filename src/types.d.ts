declare module 'jstat' {
  const jStat: any;
  export default jStat;
  export { jStat };
}

/** The part of the WebAssembly JS API that accel/eigen-wasm.ts uses (lib "dom" is not loaded). */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    readonly value: unknown;
  }
}
