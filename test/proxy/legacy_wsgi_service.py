# A legacy WSGI service for the worker-process join tests, served by Debian's
# gunicorn (sync workers: one request at a time per process). It knows nothing
# about tracing and forwards no header: it calls the next service (NEXT) with
# python3-requests, which sends the call through HTTP_PROXY (the sidecar's
# outbound proxy) on a new connection each time.
#
# Request path: /<mode>/<id>; it sleeps DELAY_MS, then calls NEXT + the same
# path, so that the test can tell from every span's path which client request
# it belongs to. The service keeps working when its client has left.
import os
import time

import requests

NEXT = os.environ.get("NEXT", "")
DELAY_S = float(os.environ.get("DELAY_MS", "5")) / 1000


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    time.sleep(DELAY_S)
    if NEXT == "":
        body = b"leaf\n"
        status = "200 OK"
    else:
        answer = requests.get(NEXT + path, timeout=30)
        body = ("called %s: %d %s" % (NEXT, answer.status_code, answer.text)).encode()
        status = "%d %s" % (answer.status_code, answer.reason)
    start_response(status, [("content-type", "text/plain"), ("content-length", str(len(body)))])
    return [body]
