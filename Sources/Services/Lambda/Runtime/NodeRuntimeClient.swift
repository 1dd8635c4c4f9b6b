/// Simfra's own Lambda runtime client for Node.js (our code), run with the machine's `node`
/// next to the unpacked function. Like AWS's: the handler module is loaded once (CommonJS or
/// ES module: `.js`, `.mjs`, `.cjs`), async and callback handlers are both served, and errors
/// are posted as `{"errorType", "errorMessage", "trace"}`.
enum NodeRuntimeClient {
    static let fileName = "simfra_runtime.mjs"

    static let source = #"""
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const API = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const root = process.env.LAMBDA_TASK_ROOT;

function errorBody(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  return { errorType: e.name || "Error", errorMessage: e.message, trace: String(e.stack || "").split("\n") };
}

async function post(p, body, headers = {}) {
  await fetch(API + p, { method: "POST", body: JSON.stringify(body), headers });
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const dot = spec.lastIndexOf(".");
  const moduleName = spec.slice(0, dot), fn = spec.slice(dot + 1);
  const base = path.join(root, moduleName);
  let mod;
  try {
    const file = [".mjs", ".js", ".cjs"].map((x) => base + x).find((f) => existsSync(f));
    if (!file) {
      const e = new Error(`Cannot find module '${moduleName}'`);
      e.name = "Runtime.ImportModuleError";
      e.message = `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${process.env.LAMBDA_RUNTIME_DIR}/simfra_runtime.mjs`;
      throw e;
    }
    if (file.endsWith(".cjs")) mod = createRequire(import.meta.url)(file);
    else mod = await import(pathToFileURL(file).href);
  } catch (err) {
    if (err.name === "Runtime.ImportModuleError") throw err;
    const e = new Error(`${err.name}: ${err.message}`);
    e.name = err instanceof SyntaxError ? "Runtime.UserCodeSyntaxError" : "Runtime.ImportModuleError";
    e.stack = err.stack;
    throw e;
  }
  const handler = mod[fn] ?? mod.default?.[fn];
  if (typeof handler !== "function") {
    const e = new Error(`${spec} is undefined or not exported`);
    e.name = "Runtime.HandlerNotFound";
    throw e;
  }
  return handler;
}

function invokeHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      err ? reject(err) : resolve(result);
    };
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") out.then((r) => callback(null, r), (e) => callback(e));
      else if (handler.length < 3) callback(null, out);
    } catch (e) {
      callback(e);
    }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    const body = errorBody(err);
    console.error(`${body.errorType}: ${body.errorMessage}`);
    await post("/init/error", body, { "Lambda-Runtime-Function-Error-Type": body.errorType });
    return;
  }
  for (;;) {
    const r = await fetch(API + "/invocation/next");
    const h = (k) => r.headers.get(k);
    const text = await r.text();
    const id = h("Lambda-Runtime-Aws-Request-Id");
    const deadline = Number(h("Lambda-Runtime-Deadline-Ms") || 0);
    if (h("Lambda-Runtime-Trace-Id")) process.env._X_AMZN_TRACE_ID = h("Lambda-Runtime-Trace-Id");
    const context = {
      awsRequestId: id, invokedFunctionArn: h("Lambda-Runtime-Invoked-Function-Arn"),
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME, callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      clientContext: h("Lambda-Runtime-Client-Context") ? JSON.parse(h("Lambda-Runtime-Client-Context")) : undefined,
    };
    try {
      const result = await invokeHandler(handler, text ? JSON.parse(text) : null, context);
      await post(`/invocation/${id}/response`, result === undefined ? null : result);
    } catch (err) {
      const body = errorBody(err);
      console.error(`${new Date().toISOString()}\t${id}\tERROR\tInvoke Error \t${JSON.stringify(body)}`);
      await post(`/invocation/${id}/error`, body, { "Lambda-Runtime-Function-Error-Type": "Unhandled" });
    }
  }
}

main();
"""#
}
