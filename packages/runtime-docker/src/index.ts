// @bosun/runtime-docker: being built (issue 6).
export {};
