/// Simfra's own Lambda runtime client for Python (our code, not AWS's `awslambdaric`): it is
/// written next to the unpacked function and run with the machine's `python3`. It speaks the
/// Lambda Runtime API at `AWS_LAMBDA_RUNTIME_API` exactly as AWS's client does: import the
/// handler once (a failure is an init error), then loop on `invocation/next`, call the handler
/// with the event and a context object, and post the result or the error in the JSON form
/// AWS's Python runtime produces (`errorMessage`, `errorType`, `requestId`, `stackTrace`).
enum PythonRuntimeClient {
    static let fileName = "simfra_runtime.py"

    static let source = #"""
import importlib
import json
import os
import sys
import time
import traceback
import urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"


def post(path, body, headers=None):
    req = urllib.request.Request(API + path, data=body, method="POST", headers=headers or {})
    urllib.request.urlopen(req).read()


def error_body(exc, request_id=None):
    tb = traceback.extract_tb(exc.__traceback__)
    body = {"errorMessage": str(exc), "errorType": type(exc).__name__,
            "stackTrace": traceback.format_list(tb)}
    if request_id is not None:
        body["requestId"] = request_id
    return body


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        cc = headers.get("Lambda-Runtime-Client-Context")
        self.client_context = json.loads(cc) if cc else None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler():
    spec = os.environ["_HANDLER"]
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise ValueError("Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    module = importlib.import_module(module_name.replace("/", "."))
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise AttributeError("Handler '%s' missing on module '%s'" % (function_name, module_name))


def main():
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    try:
        handler = load_handler()
    except ModuleNotFoundError as e:
        body = {"errorMessage": "Unable to import module '%s': %s" % (os.environ["_HANDLER"].rpartition(".")[0], e),
                "errorType": "Runtime.ImportModuleError", "stackTrace": []}
        post("/init/error", json.dumps(body).encode(), {"Lambda-Runtime-Function-Error-Type": body["errorType"]})
        return
    except Exception as e:
        body = error_body(e)
        body["errorType"] = "Runtime.HandlerNotFound" if isinstance(e, AttributeError) else type(e).__name__
        post("/init/error", json.dumps(body).encode(), {"Lambda-Runtime-Function-Error-Type": body["errorType"]})
        return
    while True:
        with urllib.request.urlopen(API + "/invocation/next") as r:
            headers = {k: v for k, v in r.headers.items()}
            event_bytes = r.read()
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        if headers.get("Lambda-Runtime-Trace-Id"):
            os.environ["_X_AMZN_TRACE_ID"] = headers["Lambda-Runtime-Trace-Id"]
        try:
            event = json.loads(event_bytes) if event_bytes else None
            result = handler(event, Context(headers))
            out = json.dumps(result).encode()
        except Exception as e:
            body = error_body(e, request_id)
            sys.stdout.write("[ERROR] %s: %s\n" % (body["errorType"], body["errorMessage"]))
            sys.stdout.flush()
            post("/invocation/%s/error" % request_id, json.dumps(body).encode(),
                 {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        post("/invocation/%s/response" % request_id, out)


if __name__ == "__main__":
    main()
"""#
}
