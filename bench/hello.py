"""The baseline app for bench/throughput.py: a bare Flask "hello, world" (run under gunicorn)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
