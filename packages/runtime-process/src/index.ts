// @bosun/runtime-process: placeholder until the runtime lands (issue 5).
export {};
