"""File uploads: one file with form fields, several files, raw bytes; multipart only."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import FastAPI, File, Form, UploadFile

app = FastAPI(title="Uploads")


@app.post("/files")
async def upload(file: UploadFile, description: Annotated[str, Form(max_length=200)],
                 public: Annotated[bool, Form()] = False):
    data = await file.read()
    return {"name": file.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "description": description, "public": public}


@app.post("/albums/{album}/photos")
async def photos(album: str, photos: Annotated[list[UploadFile], File()],
                 caption: Annotated[str | None, Form()] = None):
    sizes = [len(await p.read()) for p in photos]
    return {"album": album, "count": len(sizes), "bytes": sum(sizes), "caption": caption}


@app.post("/checksum")
def checksum(blob: Annotated[bytes, File()], algorithm: Annotated[str, Form(
        pattern="^(md5|sha1|sha256)$")]):
    return {"algorithm": algorithm, "digest": hashlib.new(algorithm, blob).hexdigest()}
