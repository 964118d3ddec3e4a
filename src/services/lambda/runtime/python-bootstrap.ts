/**
 * The Python runtime bootstrap: a program passed to `python3.X -u -c`. It reads one invocation
 * from stdin, imports `module.function` from LAMBDA_TASK_ROOT, calls it with the event and a
 * Lambda context, and writes the outcome as one JSON line to fd 3, with errors shaped as Lambda's
 * Python runtime shapes them (errorMessage, errorType, requestId, stackTrace).
 */
export const PYTHON_BOOTSTRAP = String.raw`
import importlib, json, os, resource, sys, time, traceback

def finish(outcome):
    outcome["maxRssKb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with os.fdopen(3, "w") as out:
        out.write(json.dumps(outcome) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

inv = json.loads(sys.stdin.read())
request_id = inv["requestId"]

def error_of(e, etype=None):
    return {"errorMessage": str(e), "errorType": etype or type(e).__name__, "requestId": request_id,
            "stackTrace": traceback.format_list(traceback.extract_tb(e.__traceback__))}

def fail_init(message, etype):
    error = {"errorMessage": message, "errorType": etype, "requestId": "", "stackTrace": []}
    print("[ERROR] %s: %s" % (etype, message), file=sys.stderr)
    finish({"ok": False, "error": error})

class Context:
    def __init__(self):
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = inv["invokedFunctionArn"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = request_id
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
    def get_remaining_time_in_millis(self):
        return max(0, int(inv["deadlineMs"] - time.time() * 1000))

spec = os.environ.get("_HANDLER", "")
module_name, _, function_name = spec.rpartition(".")
if not module_name:
    fail_init("Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec, "Runtime.MalformedHandlerName")
sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
try:
    module = importlib.import_module(module_name.replace("/", "."))
except SyntaxError as e:
    fail_init("Syntax error in module '%s': %s" % (module_name, e), "Runtime.UserCodeSyntaxError")
except Exception as e:
    fail_init("Unable to import module '%s': %s" % (module_name, e), "Runtime.ImportModuleError")
handler = getattr(module, function_name, None)
if not callable(handler):
    fail_init("Handler '%s' missing on module '%s'" % (function_name, module_name), "Runtime.HandlerNotFound")
try:
    event = json.loads(inv["payload"])
except Exception as e:
    fail_init("Unable to unmarshal input: %s" % e, "Runtime.UnmarshalError")
try:
    result = handler(event, Context())
    payload = json.dumps(result)
except Exception as e:
    error = error_of(e)
    print("[ERROR] %s: %s" % (error["errorType"], error["errorMessage"]), file=sys.stderr)
    finish({"ok": False, "error": error})
finish({"ok": True, "payload": payload})
`;
