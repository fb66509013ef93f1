"""Devices keyed by UUID4, with fields of every format pydantic emits and fields whose name,
not their schema, says what they hold (as real apps declare them: plain `str`).

    POST  /devices                     a device -> 201 {"device_id": UUID4, ...}; names unique (409)
    GET   /devices                     every device; its response model reads owner_email as an
                                       EmailStr, so ONE stored device with a bad email makes
                                       the list fail with 500 (the app trusted its input)
    GET   /devices/{device_id}         UUID4 path; 404 when it does not exist
    PATCH /devices/{device_id}         {"name"}
    GET   /devices/serial/{serial}     a UUID1 serial number (format uuid1)
    PUT   /devices/{device_id}/photo   multipart, one image file: 415 unless it is a PNG or JPEG
    GET   /lookup                      ?ip=&since=&window=: format ipvanyaddress, date-time, duration
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import uuid
from typing import Annotated

from fastapi import FastAPI, File, HTTPException, Query, UploadFile, status
from pydantic import UUID1, UUID4, AnyHttpUrl, BaseModel, EmailStr, Field, IPvAnyAddress

from tests.apps.shared_state import Table

app = FastAPI(title="Devices")
DEVICES = Table("devices", "devices")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,18}[0-9]$")


class DeviceIn(BaseModel):
    name: str = Field(min_length=2, max_length=40)
    owner_email: str  # a plain str: the name says what it is
    ip: str  # checked by hand below
    phone: str
    homepage: AnyHttpUrl
    address_v6: ipaddress.IPv6Address
    installed_on: dt.date
    maintenance_at: dt.time
    warranty: dt.timedelta
    batch: UUID4


class Device(DeviceIn):
    device_id: UUID4
    serial: UUID1


class DeviceOut(Device):
    owner_email: EmailStr  # what the list promises: a bad stored email is a 500 here


class Rename(BaseModel):
    name: str = Field(min_length=2, max_length=40)


def _device(device_id: uuid.UUID) -> dict:
    device = DEVICES.get(device_id)  # stored as JSON: read back through the models
    if device is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such device")
    return device


@app.post("/devices", response_model=Device, status_code=201)
def create_device(device: DeviceIn):
    try:
        ipaddress.ip_address(device.ip)
    except ValueError:
        raise HTTPException(422, "ip is not an IP address") from None
    if not _PHONE.match(device.phone):
        raise HTTPException(422, "phone is not a phone number")
    row = {**device.model_dump(mode="json"), "device_id": str(uuid.uuid4()),
           "serial": str(uuid.uuid1())}
    if not DEVICES.insert(row["device_id"], row, unique=("name",)):
        raise HTTPException(status.HTTP_409_CONFLICT, "A device with this name exists")
    return row


@app.get("/devices", response_model=list[DeviceOut])
def list_devices():
    return DEVICES.rows()


@app.get("/devices/{device_id}", response_model=Device)
def read_device(device_id: UUID4):
    return _device(device_id)


@app.patch("/devices/{device_id}", response_model=Device)
def rename_device(device_id: UUID4, rename: Rename):
    device = {**_device(device_id), "name": rename.name}
    DEVICES.put(device_id, device)
    return device


@app.get("/devices/serial/{serial}", response_model=Device)
def by_serial(serial: UUID1):
    for device in DEVICES.rows():
        if device["serial"] == str(serial):
            return device
    raise HTTPException(status.HTTP_404_NOT_FOUND, "No device with this serial")


@app.put("/devices/{device_id}/photo")
async def upload_photo(device_id: UUID4, photo: Annotated[UploadFile, File()]):
    data = await photo.read()
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "not a PNG or JPEG image")
    DEVICES.put(device_id, {**_device(device_id), "photo_bytes": len(data)})
    return {"bytes": len(data)}


@app.get("/lookup")
def lookup(ip: Annotated[IPvAnyAddress, Query()], since: Annotated[dt.datetime, Query()],
           window: Annotated[dt.timedelta, Query()]):
    return {"ip": str(ip), "since": since.isoformat(), "window_s": window.total_seconds()}
