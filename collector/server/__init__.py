"""The app under test: start it (uvicorn, gunicorn, uvicorn-nodelay) or attach to it, know when it
is ready and idle, check it for kept-alive stalls, stop its whole process tree."""
