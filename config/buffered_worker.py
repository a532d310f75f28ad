"""gunicorn's threaded worker, reading each request's head in its event loop instead of in a thread.

Why: with synchronous workers a client that sends its request slowly holds a
whole worker; three of them stopped the site (issue 17). gunicorn's `gthread`
worker keeps idle and kept-alive connections in its event loop, but a thread
takes a connection as soon as its first byte arrives and then reads the rest
of the head blocking, with no time limit (gunicorn 27.0.1, checked in its
source and by tests/test_slow_clients.py): a client sending a byte now and
then holds a thread for ever, so `threads` slow clients per worker stop it.

This worker buffers both ways in the event loop, as a buffering proxy (nginx)
would, without a thread and for as many connections as `worker_connections`:

- It reads the head, and a small body with it; a client has
  GUNICORN_HEAD_TIMEOUT seconds (10) to send them, after which it is answered
  408 and closed. A thread gets the request only when it is all there, and
  then reads nothing from the socket but a larger body (which only staff may
  send, recognition/http/bodies.py), each read bounded by the same timeout.
- The thread's answer is kept in memory (up to BUFFERED_ANSWER bytes, and
  BUFFERED_ANSWERS for the whole worker). Once it is whole the thread sends
  what the socket takes without waiting (nearly always all of it), and the
  event loop sends the rest, giving a client that does not read SEND_TIMEOUT
  seconds (60). Past those bounds, under attack, the thread writes itself,
  each write bounded by the head timeout.

- A connection that ends is half-closed and drained (RFC 9112 section 9.6)
  in the event loop too, LINGER seconds at most. gunicorn's `gthread` does
  that blocking, on its event loop's own thread: a client that never closes
  stalls the whole worker for two seconds each time. And the unread rest of a
  refused body is not drained by a thread for up to five seconds: the
  connection is closed instead, after that same drain.

So a slow client costs a socket and a few kilobytes, never a thread; threads
run requests that are ready, and are free again as soon as they have answered.

Not for TLS or HTTP/2 prior knowledge, which this site leaves to the balancer:
with either, it behaves as gunicorn's own `gthread`.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import socket
import time
from functools import partial

from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import ThreadWorker

# Seconds a client has to send a request's head (and a body of up to BUFFERED_BODY); also the bound on each
# read of a larger body and on writing the answer.
HEAD_TIMEOUT = float(os.environ.get("GUNICORN_HEAD_TIMEOUT", "10"))
MAX_HEAD = 64 * 1024  # more than any browser sends; gunicorn's own limits refuse most heads far smaller
BUFFERED_BODY = 64 * 1024  # a body up to this size is read with the head (a login form, any anonymous body)
HEAD_END = re.compile(rb"\r?\n\r?\n")
CONTENT_LENGTH = re.compile(rb"\ncontent-length[ \t]*:[ \t]*([0-9]{1,12})[ \t]*\r?\n", re.IGNORECASE)
EXPECT_CONTINUE = re.compile(rb"\nexpect[ \t]*:[ \t]*100-continue", re.IGNORECASE)
# Seconds a client has to read an answer the event loop sends for it.
SEND_TIMEOUT = float(os.environ.get("GUNICORN_SEND_TIMEOUT", "60"))
BUFFERED_ANSWER = 1024 * 1024  # an answer up to this size is sent by the event loop (the site's are under 100 KB)
BUFFERED_ANSWERS = 32 * 1024 * 1024  # bytes of answers one worker holds for slow readers at most
LINGER = 2.0  # seconds a closing connection is drained for (gunicorn's util.close_graceful)
LINGER_BYTES = 64 * 1024


def plain_answer(status: str, text: str) -> bytes:
    body = (text + "\n").encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


TOO_SLOW = plain_answer("408 Request Timeout", "请求发送得太慢,连接已关闭。请重新打开页面。")
TOO_LARGE = plain_answer("431 Request Header Fields Too Large", "请求头太大,无法处理。请清除本网站的 Cookie 后重试。")


def wanted(head: bytearray) -> int | None:
    """How many bytes the request needs before a thread takes it; None while its head is incomplete."""
    start = len(head) - len(head.lstrip(b"\r\n"))  # empty lines before the request line are skipped
    end = HEAD_END.search(head, start) if start < len(head) else None
    if end is None:
        return None
    length = CONTENT_LENGTH.search(head, 0, end.end())
    body = int(length.group(1)) if length else 0
    if body > BUFFERED_BODY or EXPECT_CONTINUE.search(head, 0, end.end()):
        body = 0  # read by the thread (a client expecting 100 Continue sends nothing before it)
    return end.end() + body


def receive(sock) -> bytes | None:
    """What a non-blocking socket has: None when nothing yet, b"" when it closed or failed."""
    try:
        return sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


class Outbox:
    """Stands for the socket while a thread writes an answer: keeps what it writes, for the event loop to send.

    Once the whole answer is here (its head, and as much body as its Content-Length says), the thread sends
    what the socket takes without waiting, before the application's close() runs (the site packs and keeps an
    answer there, recognition.http.answer_store): the client is not kept waiting for that. The event loop
    sends the rest. Anything but sendall (the 100 Continue gunicorn sends before the body is read, say) goes
    to the socket.
    """

    def __init__(self, sock, room: int):
        self.sock = sock
        self.data = bytearray()
        self.room = room

    def sendall(self, data) -> None:
        if self.room is not None and len(self.data) + len(data) <= self.room:
            self.data += data
            if self.complete():
                self.send_what_fits()
            return
        self.room = None  # too large, or the worker holds too much already: written by the thread, as gunicorn does
        if self.data:
            self.sock.sendall(self.data)
            self.data = bytearray()
        self.sock.sendall(data)

    def complete(self) -> bool:
        end = self.data.find(b"\r\n\r\n")
        if end < 0:
            return False
        length = CONTENT_LENGTH.search(self.data, 0, end + 2)
        return length is not None and len(self.data) - (end + 4) >= int(length.group(1))

    def send_what_fits(self) -> None:
        timeout = self.sock.gettimeout()
        try:
            self.sock.setblocking(False)
            sent = self.sock.send(self.data)
        except OSError:  # the buffer is full (BlockingIOError), or the client has gone: the event loop finds out
            return
        finally:
            self.sock.settimeout(timeout)
        del self.data[:sent]

    def __getattr__(self, name: str):
        return getattr(self.sock, name)


class BufferedThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.buffering = not self.cfg.is_ssl and self.cfg.http2_cleartext not in ("prior-knowledge", "both")
        # connection -> deadline, each in the order it began (so in deadline order): heads being read,
        # answers being sent.
        self.reading: dict = {}
        self.sending: dict = {}
        self.lingering: dict = {}
        self.answers_held = 0  # bytes in self.sending; changed by the event loop only, read by the threads

    # Every way a connection reaches a thread (a new one, a kept-alive one readable again, a pipelined
    # request after the last) goes through enqueue_req, on the event loop's thread.
    def enqueue_req(self, conn) -> None:
        if not self.buffering or conn.is_http2 or getattr(conn, "head_ready", False):
            conn.head_ready = False
            super().enqueue_req(conn)
            return
        conn.head = bytearray()
        if conn.parser is not None:  # bytes the last request's parser read ahead: the next request's start
            conn.head += conn.parser.unreader.take_buffered()
        need = wanted(conn.head)
        if need is not None and len(conn.head) >= need:
            self.dispatch(conn)
            return
        conn.sock.setblocking(False)
        self.reading[conn] = time.monotonic() + HEAD_TIMEOUT
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_head_data, conn))

    def on_head_data(self, conn, _sock) -> None:
        data = receive(conn.sock)
        if data is None:
            return
        if not data:
            self.stop_reading(conn)
            self.drop(conn)
            return
        conn.head += data
        need = wanted(conn.head)
        if need is not None and len(conn.head) >= need:
            self.stop_reading(conn)
            self.dispatch(conn)
        elif need is None and len(conn.head) > MAX_HEAD:
            self.stop_reading(conn)
            self.drop(conn, TOO_LARGE)

    def dispatch(self, conn) -> None:
        conn.data_ready = True  # ThreadWorker.handle must not wait for data: it is here
        conn.head_ready = True
        self.enqueue_req(conn)

    def stop_reading(self, conn) -> None:
        del self.reading[conn]
        self.poller.unregister(conn.sock)

    def drop(self, conn, answer: bytes = b"") -> None:
        if answer and conn.head:  # a connection that never sent a byte (a browser's preconnect) is just closed
            with contextlib.suppress(OSError):
                conn.sock.send(answer)  # non-blocking, best effort: the client may not be reading
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Called by the event loop about once a second: also close the connections too slow to send or read."""
        super().murder_pending()
        now = time.monotonic()
        while self.reading:
            conn, deadline = next(iter(self.reading.items()))
            if deadline > now:
                break
            self.stop_reading(conn)
            self.drop(conn, TOO_SLOW)
        while self.sending:
            conn, (deadline, _, _) = next(iter(self.sending.items()))
            if deadline > now:
                break
            self.stop_sending(conn)
            self.drop(conn)
        while self.lingering:
            conn, (deadline, _) = next(iter(self.lingering.items()))
            if deadline > now:
                break
            self.stop_lingering(conn)

    def close_when_drained(self, conn) -> None:
        """gunicorn's graceful close (util.close_graceful), without blocking the event loop."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
        except OSError:
            self.nr_conns -= 1
            conn.close()
            return
        self.lingering[conn] = (time.monotonic() + LINGER, 0)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_linger_data, conn))

    def on_linger_data(self, conn, _sock) -> None:
        data = receive(conn.sock)
        if data is None:
            return
        deadline, drained = self.lingering[conn]
        drained += len(data)
        if data and drained < LINGER_BYTES:
            self.lingering[conn] = (deadline, drained)
        else:
            self.stop_lingering(conn)

    def stop_lingering(self, conn) -> None:
        del self.lingering[conn]
        self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        conn.close()

    def carry_on(self, conn, fs) -> None:
        """What gunicorn does once a thread is done with a connection, closing it without blocking."""
        if self.buffering and not fs.cancelled() and fs.exception() is None and fs.result() is False:
            self.close_when_drained(conn)
        else:
            super().finish_request(conn, fs)

    def finish_request(self, conn, fs) -> None:
        """A thread is done with the connection: send the answer it left, then carry on as gunicorn does."""
        answer = getattr(conn, "answer", None)
        if not answer or not self.buffering:
            self.carry_on(conn, fs)
            return
        conn.answer = None
        try:
            conn.sock.setblocking(False)
            sent = conn.sock.send(answer)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.drop(conn)
            return
        if sent == len(answer):
            self.carry_on(conn, fs)  # nearly always: the answer fits in the socket's buffer
            return
        rest = memoryview(answer)[sent:]
        self.sending[conn] = (time.monotonic() + SEND_TIMEOUT, rest, fs)
        self.answers_held += len(rest)
        self.poller.register(conn.sock, selectors.EVENT_WRITE, partial(self.on_writable, conn))

    def on_writable(self, conn, _sock) -> None:
        deadline, rest, fs = self.sending[conn]
        try:
            sent = conn.sock.send(rest)
        except BlockingIOError:
            return
        except OSError:
            self.stop_sending(conn)
            self.drop(conn)
            return
        self.answers_held -= sent
        if sent < len(rest):
            self.sending[conn] = (deadline, rest[sent:], fs)
            return
        self.stop_sending(conn)
        self.carry_on(conn, fs)

    def stop_sending(self, conn) -> None:
        _, rest, _ = self.sending.pop(conn)
        self.answers_held -= len(rest)
        self.poller.unregister(conn.sock)

    # In a thread.
    def handle(self, conn):
        head = getattr(conn, "head", None)
        if head:
            conn.head = None
            conn.sock.setblocking(True)
            conn.init()  # the parser, on a connection's first request (nothing to read: it is HTTP/1)
            conn.parser.unreader.unread(bytes(head))
        return super().handle(conn)

    def _keepalive_after(self, conn, keepalive):
        # gunicorn drains a body the application left unread for up to five seconds, in this thread: a refused
        # body sent slowly would hold it. Only what is already here is drained; else the connection closes,
        # drained by the event loop (close_when_drained).
        return keepalive and bool(conn.parser.finish_body(deadline=time.monotonic() + 0.05))

    def handle_request(self, req, conn):
        # Reading a body larger than BUFFERED_BODY, and writing an answer the event loop does not send: each
        # socket operation bounded, never a thread for ever.
        sock = conn.sock
        sock.settimeout(HEAD_TIMEOUT)
        if self.buffering:
            room = BUFFERED_ANSWER if self.answers_held < BUFFERED_ANSWERS else None
            conn.sock = outbox = Outbox(sock, room)
        try:
            return super().handle_request(req, conn)
        except TimeoutError as error:
            raise NoMoreData() from error  # ThreadWorker.handle closes the connection, logging it at debug level
        finally:
            conn.sock = sock
            if self.buffering:
                conn.answer = bytes(outbox.data)  # what the socket did not take at once: sent by finish_request
            with contextlib.suppress(OSError):
                sock.settimeout(None)
