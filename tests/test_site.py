"""The local website renders what the folder CMS wrote: the home page, categories with the Q&A section,
a post with its image and attachment, the media files, a removed post gone; URLs on the local site."""

from __future__ import annotations

import asyncio

from publisher.cms import PostContent
from publisher.folder import FolderCms
from publisher.site import Site, slug


def get(site: Site, path: str) -> tuple[str, str, bytes]:
    answer = {}

    def start_response(status, headers):
        answer["status"], answer["type"] = status, dict(headers)["Content-Type"]

    body = b"".join(site({"PATH_INFO": path}, start_response))
    return answer["status"], answer["type"], body


def test_posts_categories_media_and_qa(tmp_path):
    cms = FolderCms(tmp_path, "http://127.0.0.1:8080/")

    async def publish():
        photo = await cms.upload_media("ảnh.png", "image/png", b"\x89PNG fake", "Ảnh")
        leaflet = await cms.upload_media("to-roi.pdf", "application/pdf", b"%PDF-1.4 fake", "")
        news = await cms.create_post(
            PostContent(
                "TS00001",
                "a" * 32,
                "Hội nghị tổng kết năm 2026",
                f'<h1>Hội nghị tổng kết năm 2026</h1><p>Nội dung.</p><img src="{photo.url}" alt="Ảnh">'
                f'<ul><li><a href="{leaflet.url}">to-roi.pdf</a></li></ul>',
                "Tin tức - Sự kiện",
            )
        )
        await cms.create_post(PostContent("TS00002", "b" * 32, "Hỏi đáp: khai sinh", "<p>Trả lời.</p>", "Hỏi đáp"))
        gone = await cms.create_post(PostContent("TS00003", "c" * 32, "Bài sẽ gỡ", "<p>x</p>", "Tin tức - Sự kiện"))
        await cms.remove_post(gone.id)
        return news, photo

    news, photo = asyncio.run(publish())
    assert news.url == "http://127.0.0.1:8080/" + "a" * 32 + ".html"
    site = Site(tmp_path, "Cổng thông tin điện tử thị trấn Kép", "Hỏi đáp")

    status, ctype, home = get(site, "/")
    html = home.decode()
    assert status == "200 OK" and ctype == "text/html; charset=utf-8"
    assert '<meta name="viewport"' in html
    assert html.index("Hỏi đáp: khai sinh") < html.index("Hội nghị tổng kết năm 2026")  # newest first
    assert "Bài sẽ gỡ" not in html
    assert f'<img src="/{photo.url}"' in html
    assert '<a href="/chuyen-muc/tin-tuc-su-kien">Tin tức - Sự kiện</a>' in html
    assert '<a href="/chuyen-muc/hoi-dap">Hỏi đáp</a>' in html

    post = get(site, "/" + "a" * 32 + ".html")[2].decode()
    assert post.count("Hội nghị tổng kết năm 2026</h1>") == 1  # the document's own heading is not repeated
    assert f'<img src="{photo.url}" alt="Ảnh">' in post and "to-roi.pdf</a>" in post
    assert get(site, "/" + photo.url)[:2] == ("200 OK", "image/png")
    assert get(site, "/media/../index.json")[0] == "404 Not Found"

    qa_page = get(site, "/chuyen-muc/" + slug("Hỏi đáp"))[2].decode()
    assert "Hỏi đáp: khai sinh" in qa_page and "Hội nghị tổng kết" not in qa_page
    assert get(site, "/" + "c" * 32 + ".html")[0] == "404 Not Found"
