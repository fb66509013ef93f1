"""Customer sign-up and orders: nested bodies with no examples, unique email and username
(a repeat is 409), Body(embed=True), several body parameters, a discriminated union."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Union

from fastapi import Body, FastAPI, HTTPException
from pydantic import BaseModel, EmailStr, Field

app = FastAPI(title="Sign-up")
EMAILS: set[str] = set()
USERNAMES: set[str] = set()


class Address(BaseModel):
    street: str = Field(min_length=3)
    city: str
    postcode: str = Field(pattern=r"^[0-9]{5}$")
    country: str = Field(min_length=2, max_length=2)


class Customer(BaseModel):
    username: str = Field(min_length=3, max_length=24, pattern=r"^[a-z][a-z0-9_]+$")
    email: EmailStr
    birthday: date | None = None
    addresses: list[Address] = Field(min_length=1, max_length=3)
    preferences: dict[str, bool] = {}


class Card(BaseModel):
    kind: Literal["card"]
    last4: str = Field(pattern=r"^\d{4}$")


class Voucher(BaseModel):
    kind: Literal["voucher"]
    code: str = Field(min_length=6, max_length=6)


class Line(BaseModel):
    sku: str
    quantity: int = Field(ge=1, le=99)
    unit_price: Decimal = Field(gt=0, max_digits=8, decimal_places=2)


@app.post("/customers", status_code=201)
def sign_up(customer: Customer):
    if customer.email in EMAILS or customer.username in USERNAMES:
        raise HTTPException(409, "email or username already registered")
    EMAILS.add(customer.email)
    USERNAMES.add(customer.username)
    return {"username": customer.username, "addresses": len(customer.addresses)}


@app.post("/orders", status_code=201)
def order(lines: Annotated[list[Line], Body(min_length=1)],
          payment: Annotated[Union[Card, Voucher], Body(discriminator="kind")],
          priority: Annotated[int, Body(ge=0, le=3)]):
    total = sum(line.unit_price * line.quantity for line in lines)
    return {"lines": len(lines), "total": str(total), "paid_by": payment.kind,
            "priority": priority}


@app.post("/newsletter")
def subscribe(email: Annotated[EmailStr, Body(embed=True)]):
    return {"subscribed": email}
