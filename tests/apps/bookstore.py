"""A bookstore: SQLite rows seeded by the lifespan, full CRUD on /books, no health route."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query
from pydantic import BaseModel, Field

SEEDED = 50
BookId = Annotated[int, Path(ge=1, le=SEEDED)]


class Author(BaseModel):
    name: str = Field(min_length=2, max_length=80)
    born: int | None = Field(default=None, ge=1000, le=2100)


class BookIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    author: Author
    isbn: str = Field(pattern=r"^97[89]\d{10}$")
    price: float = Field(gt=0, le=1000)
    tags: list[str] = Field(default_factory=list, max_length=10)


class Book(BookIn):
    id: int


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT, author TEXT, "
                        "born INTEGER, isbn TEXT, price REAL, tags TEXT)")

    def row(self, row) -> Book:
        return Book(id=row[0], title=row[1], author=Author(name=row[2], born=row[3]),
                    isbn=row[4], price=row[5], tags=[t for t in row[6].split(",") if t])

    def put(self, book_id: int | None, book: BookIn) -> Book:
        with self.lock:
            cursor = self.db.execute(
                "INSERT OR REPLACE INTO books VALUES (?, ?, ?, ?, ?, ?, ?)",
                (book_id, book.title, book.author.name, book.author.born, book.isbn, book.price,
                 ",".join(book.tags)))
            self.db.commit()
            return Book(id=book_id or cursor.lastrowid, **book.model_dump())

    def get(self, book_id: int) -> Book:
        with self.lock:
            row = self.db.execute("SELECT * FROM books WHERE id = ?", (book_id,)).fetchone()
        if row is None:
            raise HTTPException(404, f"no book {book_id}")
        return self.row(row)


store = Store()


@asynccontextmanager
async def lifespan(app: FastAPI):
    for n in range(1, SEEDED + 1):
        store.put(n, BookIn(title=f"Book {n}", author=Author(name=f"Author {n % 7}"),
                            isbn=f"978{n:010d}", price=10 + n))
    yield


app = FastAPI(title="Bookstore", lifespan=lifespan)


@app.get("/books", response_model=list[Book])
def list_books(offset: int = Query(0, ge=0), limit: int = Query(20, ge=1, le=100)):
    with store.lock:
        rows = store.db.execute("SELECT * FROM books ORDER BY id LIMIT ? OFFSET ?",
                                (limit, offset)).fetchall()
    return [store.row(r) for r in rows]


@app.post("/books", response_model=Book, status_code=201)
def create_book(book: BookIn):
    return store.put(None, book)


@app.get("/books/{book_id}", response_model=Book)
def read_book(book_id: BookId):
    return store.get(book_id)


@app.put("/books/{book_id}", response_model=Book)
def replace_book(book_id: BookId, book: BookIn):
    store.get(book_id)
    return store.put(book_id, book)


@app.delete("/books/{book_id}", status_code=204)
def delete_book(book_id: BookId):
    with store.lock:
        store.db.execute("DELETE FROM books WHERE id = ?", (book_id,))
        store.db.commit()
