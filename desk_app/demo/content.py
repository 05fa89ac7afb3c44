"""Phrase banks for demo data in English, Japanese and Russian.

Texts are str.format templates. Placeholders the generator fills in:

    {cname} {cfirst}    the customer's full name / the name an agent greets them by
    {aname} {afirst}    the writing agent's full name / the name they sign with
    {company}           the demo company
    {order} {amount} {date} {invoice} {last4} {product} {tracking} {carrier} {plan}
    {endpoint} {code} {reqid} {version} {device} {bugid} {refno} {newmail}

Russian first-person past tenses depend on who speaks: "[м|ж]" picks the masculine or feminine
form, expanded once when the tables are built (the customer's gender for customer texts, the
agent's for agent texts and notes).
"""

from __future__ import annotations

from desk_app.core import locale_names

# Topic -> department. Billing topics go to Billing, API and bugs to Technical, the rest to
# Support.
TOPIC_DEPARTMENT: dict[str, str] = {
    "refund": "Billing",
    "double_charge": "Billing",
    "invoice": "Billing",
    "cancellation": "Billing",
    "password_reset": "Support",
    "login_2fa": "Support",
    "shipping_delay": "Support",
    "damaged_item": "Support",
    "account_change": "Support",
    "feature_request": "Support",
    "api_error": "Technical",
    "bug_report": "Technical",
}

# How often each topic comes up (relative weights).
TOPIC_WEIGHTS: dict[str, int] = {
    "refund": 12,
    "double_charge": 6,
    "invoice": 7,
    "cancellation": 6,
    "password_reset": 10,
    "login_2fa": 7,
    "shipping_delay": 14,
    "damaged_item": 8,
    "account_change": 6,
    "feature_request": 5,
    "api_error": 8,
    "bug_report": 11,
}

# Topics whose subjects and problem descriptions must be picked together (same index).
PAIRED_TOPICS: frozenset[str] = frozenset(
    {"bug_report", "feature_request", "account_change", "invoice"}
)

# Priority weights (low, normal, high, urgent) per topic.
TOPIC_PRIORITY: dict[str, tuple[int, int, int, int]] = {
    "refund": (15, 60, 22, 3),
    "double_charge": (5, 45, 40, 10),
    "invoice": (40, 50, 9, 1),
    "cancellation": (20, 60, 18, 2),
    "password_reset": (10, 60, 25, 5),
    "login_2fa": (5, 50, 35, 10),
    "shipping_delay": (10, 55, 30, 5),
    "damaged_item": (10, 55, 30, 5),
    "account_change": (35, 55, 9, 1),
    "feature_request": (70, 29, 1, 0),
    "api_error": (3, 32, 45, 20),
    "bug_report": (20, 50, 24, 6),
}

# --- values for placeholders -------------------------------------------------------------------

PRODUCTS: tuple[str, ...] = (
    "Aero Kettle 2",
    "Lumen Desk Lamp",
    "Breeze Air Purifier S",
    "Northwind Hub Mini",
    "Drift Smart Plug (4-pack)",
    "Halo Video Doorbell",
    "Pulse Thermostat",
    "Orbit Robot Vacuum",
    "Cedar Wi-Fi Speaker",
    "Nimbus Mesh Router",
)
PLANS: tuple[str, ...] = ("Starter", "Team", "Business", "Home Plus")
ENDPOINTS: tuple[str, ...] = (
    "POST /v2/orders",
    "GET /v2/orders/{id}",
    "GET /v2/devices",
    "POST /v2/webhooks",
    "PATCH /v2/customers/{id}",
    "GET /v2/invoices",
)
HTTP_CODES: tuple[str, ...] = ("500", "502", "503", "429", "401", "504")
VERSIONS: tuple[str, ...] = ("4.12.0", "4.12.1", "4.13.0", "4.13.2", "5.0.0", "5.0.1")
DEVICES: tuple[str, ...] = (
    "iPhone 15 (iOS 17.4)",
    "iPhone 13 (iOS 17.2)",
    "Pixel 8 (Android 14)",
    "Galaxy S23 (Android 14)",
    "Windows 11, Chrome 124",
    "macOS 14, Safari 17",
    "iPad Air (iPadOS 17)",
    "Windows 10, Firefox 125",
)
CARRIERS: dict[str, tuple[str, ...]] = {
    "en": ("UPS", "FedEx", "DHL Express", "Royal Mail", "USPS", "DPD"),
    "ja": ("ヤマト運輸", "佐川急便", "日本郵便", "西濃運輸"),
    "ru": ("СДЭК", "Почта России", "Boxberry", "DPD"),
}
MONTHS = locale_names.MONTHS
# Prices in the customer's currency.
AMOUNTS: dict[str, tuple[str, ...]] = {
    "usd": (
        "$19.99",
        "$24.00",
        "$39.99",
        "$49.00",
        "$59.90",
        "$79.00",
        "$89.99",
        "$129.00",
        "$149.00",
        "$199.00",
        "$249.99",
        "$12.50",
    ),
    "gbp": (
        "£15.99",
        "£19.00",
        "£29.99",
        "£39.00",
        "£49.99",
        "£64.00",
        "£79.99",
        "£99.00",
        "£119.00",
        "£169.00",
        "£9.50",
    ),
    "jpy": (
        "¥1,980",
        "¥2,480",
        "¥3,300",
        "¥4,980",
        "¥5,980",
        "¥7,700",
        "¥9,800",
        "¥12,800",
        "¥16,500",
        "¥24,800",
        "¥880",
    ),
    "rub": (
        "990 ₽",
        "1 490 ₽",
        "2 490 ₽",
        "3 290 ₽",
        "4 990 ₽",
        "6 790 ₽",
        "8 990 ₽",
        "12 490 ₽",
        "15 990 ₽",
        "21 900 ₽",
        "549 ₽",
    ),
}

# --- people ------------------------------------------------------------------------------------

# (given name, gender)
EN_GIVEN: tuple[tuple[str, str], ...] = (
    ("James", "m"),
    ("Oliver", "m"),
    ("William", "m"),
    ("Henry", "m"),
    ("Jack", "m"),
    ("Thomas", "m"),
    ("Michael", "m"),
    ("David", "m"),
    ("Daniel", "m"),
    ("Matthew", "m"),
    ("Christopher", "m"),
    ("Andrew", "m"),
    ("Ryan", "m"),
    ("Ethan", "m"),
    ("Samuel", "m"),
    ("Benjamin", "m"),
    ("George", "m"),
    ("Lucas", "m"),
    ("Marcus", "m"),
    ("Kevin", "m"),
    ("Emily", "f"),
    ("Olivia", "f"),
    ("Sophie", "f"),
    ("Charlotte", "f"),
    ("Amelia", "f"),
    ("Grace", "f"),
    ("Hannah", "f"),
    ("Jessica", "f"),
    ("Sarah", "f"),
    ("Laura", "f"),
    ("Rachel", "f"),
    ("Megan", "f"),
    ("Chloe", "f"),
    ("Lucy", "f"),
    ("Emma", "f"),
    ("Isabella", "f"),
    ("Natalie", "f"),
    ("Victoria", "f"),
    ("Priya", "f"),
    ("Maria", "f"),
)
EN_FAMILY: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thomas",
    "Moore",
    "Martin",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Patel",
    "Hughes",
    "Wood",
    "Price",
    "Bennett",
    "Gray",
    "Kelly",
    "Foster",
    "Reid",
    "O'Brien",
    "Fletcher",
    "Chapman",
    "Hunt",
    "Shaw",
    "Lawson",
)
# (kanji, romaji)
JA_FAMILY: tuple[tuple[str, str], ...] = (
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山田", "yamada"),
    ("佐々木", "sasaki"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
    ("井上", "inoue"),
    ("木村", "kimura"),
    ("林", "hayashi"),
    ("斎藤", "saito"),
    ("清水", "shimizu"),
    ("山崎", "yamazaki"),
    ("森", "mori"),
    ("池田", "ikeda"),
    ("橋本", "hashimoto"),
    ("阿部", "abe"),
    ("石川", "ishikawa"),
    ("前田", "maeda"),
    ("藤田", "fujita"),
    ("岡田", "okada"),
    ("後藤", "goto"),
    ("長谷川", "hasegawa"),
    ("村上", "murakami"),
    ("近藤", "kondo"),
    ("石井", "ishii"),
    ("坂本", "sakamoto"),
    ("遠藤", "endo"),
    ("青木", "aoki"),
    ("藤井", "fujii"),
    ("西村", "nishimura"),
    ("福田", "fukuda"),
)
# (kanji, romaji, gender)
JA_GIVEN: tuple[tuple[str, str, str], ...] = (
    ("太郎", "taro", "m"),
    ("翔太", "shota", "m"),
    ("大輔", "daisuke", "m"),
    ("健太", "kenta", "m"),
    ("拓也", "takuya", "m"),
    ("直樹", "naoki", "m"),
    ("浩二", "koji", "m"),
    ("誠", "makoto", "m"),
    ("隆", "takashi", "m"),
    ("亮", "ryo", "m"),
    ("蓮", "ren", "m"),
    ("陽翔", "haruto", "m"),
    ("悠真", "yuma", "m"),
    ("和也", "kazuya", "m"),
    ("修", "osamu", "m"),
    ("花子", "hanako", "f"),
    ("陽子", "yoko", "f"),
    ("美咲", "misaki", "f"),
    ("由美", "yumi", "f"),
    ("愛", "ai", "f"),
    ("さくら", "sakura", "f"),
    ("結衣", "yui", "f"),
    ("真由美", "mayumi", "f"),
    ("恵子", "keiko", "f"),
    ("奈々", "nana", "f"),
    ("彩", "aya", "f"),
    ("明美", "akemi", "f"),
    ("葵", "aoi", "f"),
    ("千尋", "chihiro", "f"),
    ("智子", "tomoko", "f"),
)
# (Cyrillic, Latin, gender)
RU_GIVEN: tuple[tuple[str, str, str], ...] = (
    ("Иван", "ivan", "m"),
    ("Алексей", "alexey", "m"),
    ("Дмитрий", "dmitry", "m"),
    ("Сергей", "sergey", "m"),
    ("Андрей", "andrey", "m"),
    ("Михаил", "mikhail", "m"),
    ("Николай", "nikolay", "m"),
    ("Павел", "pavel", "m"),
    ("Артём", "artem", "m"),
    ("Максим", "maxim", "m"),
    ("Владимир", "vladimir", "m"),
    ("Егор", "egor", "m"),
    ("Роман", "roman", "m"),
    ("Игорь", "igor", "m"),
    ("Константин", "konstantin", "m"),
    ("Ольга", "olga", "f"),
    ("Анна", "anna", "f"),
    ("Елена", "elena", "f"),
    ("Мария", "maria", "f"),
    ("Наталья", "natalya", "f"),
    ("Татьяна", "tatyana", "f"),
    ("Ирина", "irina", "f"),
    ("Екатерина", "ekaterina", "f"),
    ("Светлана", "svetlana", "f"),
    ("Юлия", "yulia", "f"),
    ("Дарья", "darya", "f"),
    ("Ксения", "ksenia", "f"),
    ("Марина", "marina", "f"),
    ("Виктория", "viktoria", "f"),
    ("Алёна", "alena", "f"),
)
# (masculine, feminine, Latin masculine, Latin feminine)
RU_FAMILY: tuple[tuple[str, str, str, str], ...] = (
    ("Иванов", "Иванова", "ivanov", "ivanova"),
    ("Смирнов", "Смирнова", "smirnov", "smirnova"),
    ("Кузнецов", "Кузнецова", "kuznetsov", "kuznetsova"),
    ("Попов", "Попова", "popov", "popova"),
    ("Васильев", "Васильева", "vasilyev", "vasilyeva"),
    ("Петров", "Петрова", "petrov", "petrova"),
    ("Соколов", "Соколова", "sokolov", "sokolova"),
    ("Михайлов", "Михайлова", "mikhailov", "mikhailova"),
    ("Новиков", "Новикова", "novikov", "novikova"),
    ("Фёдоров", "Фёдорова", "fedorov", "fedorova"),
    ("Морозов", "Морозова", "morozov", "morozova"),
    ("Волков", "Волкова", "volkov", "volkova"),
    ("Алексеев", "Алексеева", "alekseev", "alekseeva"),
    ("Лебедев", "Лебедева", "lebedev", "lebedeva"),
    ("Семёнов", "Семёнова", "semenov", "semenova"),
    ("Егоров", "Егорова", "egorov", "egorova"),
    ("Павлов", "Павлова", "pavlov", "pavlova"),
    ("Козлов", "Козлова", "kozlov", "kozlova"),
    ("Степанов", "Степанова", "stepanov", "stepanova"),
    ("Николаев", "Николаева", "nikolaev", "nikolaeva"),
    ("Орлов", "Орлова", "orlov", "orlova"),
    ("Андреев", "Андреева", "andreev", "andreeva"),
    ("Макаров", "Макарова", "makarov", "makarova"),
    ("Захаров", "Захарова", "zakharov", "zakharova"),
    ("Зайцев", "Зайцева", "zaytsev", "zaytseva"),
    ("Белов", "Белова", "belov", "belova"),
    ("Соловьёв", "Соловьёва", "solovyov", "solovyova"),
    ("Голубев", "Голубева", "golubev", "golubeva"),
    ("Виноградов", "Виноградова", "vinogradov", "vinogradova"),
    ("Богданов", "Богданова", "bogdanov", "bogdanova"),
)

# Mail domains (all under reserved names, so a demo database can never mail a real person).
EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "us": ("example.com", "example.net", "gmail.example", "outlook.example", "icloud.example"),
    "uk": ("example.org", "btinternet.example", "gmail.example", "outlook.example"),
    "ja": ("example.jp", "example.co.jp", "example.ne.jp", "docomo.example", "icloud.example"),
    "ru": ("yandex.example", "mail-ru.example", "rambler.example", "example.ru"),
}
# (organisation, its mail domain)
ORGANISATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "us": (
        ("Acme Logistics Inc.", "acme-logistics.example"),
        ("Brightline Studio", "brightline.example"),
        ("Redwood Analytics", "redwood-analytics.example"),
        ("Summit Outdoor Co.", "summit-outdoor.example"),
        ("Pinecrest Dental", "pinecrest-dental.example"),
        ("Maple & Stone Realty", "maplestone.example"),
    ),
    "uk": (
        ("Harbour & Finch LLP", "harbourfinch.example"),
        ("Bluebird Cafe Group", "bluebird-cafes.example"),
        ("Copperleaf Hotels Ltd", "copperleaf.example"),
        ("Thames Valley Print", "tvprint.example"),
    ),
    "ja": (
        ("株式会社山田製作所", "yamada-seisakusho.example"),
        ("さくら商事株式会社", "sakura-shoji.example"),
        ("株式会社ミドリ電機", "midori-denki.example"),
        ("東京デザインラボ合同会社", "tokyo-designlab.example"),
        ("株式会社北斗システム", "hokuto-system.example"),
        ("有限会社こもれび", "komorebi.example"),
    ),
    "ru": (
        ("ООО «Ромашка»", "romashka.example"),
        ("АО «Северный ветер»", "sevveter.example"),
        ("ООО «ТехноСфера»", "technosfera.example"),
        ("ООО «Балтийская логистика»", "baltlog.example"),
        ("ООО «Уральские окна»", "uralokna.example"),
        ("АО «Вектор»", "vektor.example"),
    ),
}

# --- texts, per language -----------------------------------------------------------------------

# Generic parts of a message. c_* are written by customers, a_* by agents.
GENERIC: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "c_greet": ("Hello,", "Hi,", "Hi there,", "Hello {company} team,", "Good morning,", "Hi,"),
        "c_close": (
            "Thanks in advance.",
            "Thank you for your help.",
            "Looking forward to hearing from you.",
            "I'd appreciate a quick reply.",
        ),
        "c_sign": ("{cname}", "{cfirst}", "Best regards,\n{cname}", "Kind regards,\n{cname}"),
        "c_thanks": (
            "That worked, thank you so much for your help!",
            "Received it today. Thanks for sorting this out so quickly.",
            "All good now. Thanks for your patience with me.",
            "Perfect, that's exactly what I needed. Have a great day!",
        ),
        "c_nudge": (
            "Any update on this? It's been a few days.",
            "Just following up on my message below – could someone take a look?",
            "Hi again, I still haven't heard back. Is there any news?",
        ),
        "quote": ("On {qdate}, {qname} wrote:",),
        "a_greet": ("Hi {cfirst},", "Hello {cfirst},", "Dear {cname},", "Hi {cfirst},"),
        "a_greet_next": (
            "Hi {cfirst},",
            "Hello {cfirst},",
            "Hi {cfirst}, thanks for getting back to me.",
            "Hi {cfirst}, thank you for your patience.",
        ),
        "a_ack": (
            "Thank you for contacting {company} Support.",
            "Thanks for getting in touch, and sorry for the trouble.",
            "Thank you for your message.",
            "",
        ),
        "a_close": (
            "Let me know if there's anything else I can help with.",
            "If you have any other questions, just reply to this e-mail.",
            "Sorry again for the inconvenience.",
            "Have a great day!",
        ),
        "a_sign": (
            "Best regards,\n{afirst}\n{company} Support",
            "Kind regards,\n{aname}\n{company} Customer Support",
            "Thanks,\n{afirst}",
        ),
        "a_update": (
            "I'm still waiting for an update from our partner team and will get back to you as "
            "soon as I hear from them.",
            "Our specialists are still looking into this. I'll update you by the end of the "
            "week at the latest.",
            "I've escalated this to the responsible team; I'll keep you posted.",
        ),
        "chat_hi": ("Hi {cfirst}! ", "Hello {cfirst}, ", "Thanks for waiting, {cfirst}. "),
        "phone": ("Phone call – summary:", "Inbound call, notes:", "Call from customer:"),
    },
    "ja": {
        "c_greet": (
            "お世話になっております。",
            "いつもお世話になっております。{cname}です。",
            "はじめてご連絡いたします。{cname}と申します。",
            "お問い合わせいたします。",
            "お世話になります。",
        ),
        "c_close": (
            "お手数をおかけしますが、ご確認のほどよろしくお願いいたします。",
            "ご対応いただけますと幸いです。",
            "お忙しいところ恐縮ですが、よろしくお願いいたします。",
            "早めにご回答いただけると助かります。",
        ),
        "c_sign": ("{cname}", "よろしくお願いいたします。\n{cname}"),
        "c_thanks": (
            "ご対応ありがとうございました。無事に解決しました。",
            "本日確認できました。迅速なご対応に感謝いたします。",
            "ありがとうございます。問題なく使えるようになりました。",
            "丁寧にご対応いただき、ありがとうございました。",
        ),
        "c_nudge": (
            "その後の状況はいかがでしょうか。",
            "先日お問い合わせした件について、進捗を教えていただけますでしょうか。",
            "まだご連絡をいただけていないのですが、確認していただけましたか。",
        ),
        "quote": ("{qdate} {qname} さんは書きました:",),
        "a_greet": (
            "{cfirst}様\n\nお問い合わせいただきありがとうございます。{company}サポートの{afirst}でございます。",
            "{cfirst}様\n\nいつも{company}をご利用いただきありがとうございます。サポート担当の{afirst}です。",
            "{cfirst}様\n\nご連絡ありがとうございます。",
        ),
        "a_greet_next": (
            "{cfirst}様\n\nご返信いただきありがとうございます。",
            "{cfirst}様\n\nお待たせいたしました。",
            "{cfirst}様\n\nいつもお世話になっております。{company}サポートの{afirst}です。",
        ),
        "a_ack": ("", "お問い合わせの件について、確認いたしました。", ""),
        "a_close": (
            "ほかにご不明な点がございましたら、お気軽にお問い合わせください。",
            "ご不便をおかけして申し訳ございません。引き続きよろしくお願いいたします。",
            "何卒よろしくお願いいたします。",
        ),
        "a_sign": ("{company} サポート\n{aname}", "{company} カスタマーサポート\n{aname}"),
        "a_update": (
            "現在、担当部署にて確認を進めております。進展があり次第ご連絡いたします。",
            "お待たせして申し訳ございません。引き続き調査しておりますので、今しばらくお待ちください。",
            "関係部署へエスカレーションいたしました。結果が分かり次第ご報告いたします。",
        ),
        "chat_hi": (
            "{cfirst}様、お待たせいたしました。",
            "{cfirst}様、ご連絡ありがとうございます。",
        ),
        "phone": ("電話受付メモ:", "お電話でのお問い合わせ(要約):", "入電内容:"),
    },
    "ru": {
        "c_greet": (
            "Здравствуйте!",
            "Добрый день!",
            "Здравствуйте, уважаемая служба поддержки!",
            "Добрый вечер.",
            "Здравствуйте.",
        ),
        "c_close": (
            "Заранее спасибо.",
            "Прошу разобраться.",
            "Жду ответа.",
            "Спасибо за помощь.",
            "Буду [благодарен|благодарна] за быстрый ответ.",
        ),
        "c_sign": ("{cname}", "С уважением,\n{cname}", "{cfirst}"),
        "c_thanks": (
            "Всё получилось, большое спасибо за помощь!",
            "Сегодня всё [получил|получила]. Спасибо, что так быстро разобрались.",
            "Теперь всё работает. Спасибо за терпение!",
            "Отлично, вопрос решён. Хорошего дня!",
        ),
        "c_nudge": (
            "Есть новости по моему вопросу? Прошло уже несколько дней.",
            "Напоминаю о своём обращении ниже – посмотрите, пожалуйста.",
            "Добрый день, ответа пока нет. Подскажите, что с моим вопросом?",
        ),
        "quote": ("{qdate}, {qname} пишет:",),
        "a_greet": (
            "Здравствуйте, {cfirst}!",
            "Добрый день, {cfirst}!",
            "Здравствуйте, {cfirst}.",
        ),
        "a_greet_next": (
            "Здравствуйте, {cfirst}!",
            "{cfirst}, добрый день!",
            "Здравствуйте, {cfirst}! Спасибо за ответ.",
            "Добрый день, {cfirst}! Спасибо за терпение.",
        ),
        "a_ack": (
            "Спасибо за обращение в службу поддержки {company}.",
            "Благодарим за ваше сообщение и приносим извинения за неудобства.",
            "",
        ),
        "a_close": (
            "Если появятся вопросы, просто ответьте на это письмо.",
            "Ещё раз приносим извинения за неудобства.",
            "Хорошего дня!",
            "Будем рады помочь, если понадобится что-то ещё.",
        ),
        "a_sign": (
            "С уважением,\n{aname}\nСлужба поддержки {company}",
            "С уважением,\n{afirst}, служба поддержки {company}",
        ),
        "a_update": (
            "Мы всё ещё ждём ответа от профильного отдела и сообщим вам, как только он придёт.",
            "Специалисты продолжают разбираться в ситуации. "
            "Вернёмся к вам с ответом до конца недели.",
            "Вопрос передан ответственной команде, будем держать вас в курсе.",
        ),
        "chat_hi": ("{cfirst}, здравствуйте! ", "{cfirst}, спасибо за ожидание. "),
        "phone": ("Звонок клиента, кратко:", "Входящий звонок – запись:", "Телефонное обращение:"),
    },
}

# Topic texts: subject, problem, detail, ask (customer); phone (an agent's summary of a call);
# reply, question, resolution (agent); followup (customer answering the agent).
TOPICS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "refund": {
        "en": {
            "subject": (
                "Refund for order {order}",
                "Requesting a refund – order {order}",
                "Return and refund for {product}",
                "Where is my refund?",
            ),
            "problem": (
                "I returned the {product} from order {order} on {date}, but I still haven't "
                "received my refund of {amount}.",
                "I'd like to return the {product} I bought on {date} (order {order}). It doesn't "
                "suit my needs and I haven't used it.",
                "Your return portal says my return for order {order} was received, but the refund "
                "of {amount} hasn't shown up on my card.",
            ),
            "detail": (
                "The parcel was dropped off with {carrier} and tracking shows it was delivered to "
                "your warehouse.",
                "It's been over two weeks now and my bank says nothing is pending.",
                "The item is still in its original packaging with all accessories.",
            ),
            "ask": (
                "Could you please check the status and let me know when I can expect the money "
                "back?",
                "Please let me know how to proceed with the refund.",
                "Can you refund it to the original card ending in {last4}?",
            ),
            "phone": (
                "Customer called about a refund for order {order} ({amount}). Return was sent back "
                "via {carrier}; refund not received yet. Wants a status update by e-mail.",
                "Caller wants to return the {product} from order {order}, unused. Explained the "
                "30-day policy; customer asked for a prepaid return label.",
            ),
            "reply": (
                "I've checked order {order}: your return reached our warehouse on {date} and I've "
                "now processed a refund of {amount} to the card ending in {last4}. Depending on "
                "your bank it can take 5–10 business days to appear.",
                "I've created a prepaid return label for order {order} and attached it to this "
                "message. As soon as {carrier} scans the parcel we'll issue the refund of "
                "{amount}.",
            ),
            "question": (
                "Could you send me the tracking number of the return parcel so I can match it "
                "with our warehouse records?",
                "To process the refund, could you confirm whether you'd like it back to the "
                "original card or as store credit?",
            ),
            "followup": (
                "The return tracking number is {tracking}. It was delivered on {date}.",
                "Original card is fine, thank you. It's the one ending in {last4}.",
                "I still don't see anything on my statement. Could you double-check?",
            ),
            "resolution": (
                "Good news: the refund of {amount} for order {order} was issued today (reference "
                "{refno}). You should see it on your statement within a few business days.",
                "I've confirmed with our payments team that the refund of {amount} is complete. "
                "I'm marking this ticket as solved, but just reply if it hasn't arrived by the end "
                "of next week.",
            ),
        },
        "ja": {
            "subject": (
                "注文番号{order}の返金について",
                "返金のお願い(注文{order})",
                "{product}の返品・返金について",
                "返金がまだ届いていません",
            ),
            "problem": (
                "{date}に注文{order}の{product}を返品しましたが、{amount}の返金がまだ確認できません。",
                "{date}に購入した{product}(注文番号{order})を返品したいと考えています。未使用です。",
                "返品ページでは注文{order}の返品が受領済みになっていますが、カードへの返金({amount})が反映されていません。",
            ),
            "detail": (
                "{carrier}で発送し、追跡では倉庫に配達済みとなっています。",
                "すでに2週間以上経っていますが、カード会社に確認しても返金の予定はないとのことでした。",
                "商品は開封しただけで、付属品もすべて揃っています。",
            ),
            "ask": (
                "返金の状況を確認していただけますでしょうか。",
                "返品の手続き方法を教えてください。",
                "末尾{last4}のカードへ返金していただけますか。",
            ),
            "phone": (
                "注文{order}({amount})の返金について入電。{carrier}で返送済み、返金未着。状況をメールで連絡してほしいとのこと。",
                "注文{order}の{product}を返品希望(未使用)。30日以内の返品規定を案内済み。着払い伝票の送付を希望。",
            ),
            "reply": (
                "注文{order}を確認いたしました。返品商品は{date}に弊社倉庫へ到着しており、本日、末尾{last4}のカードへ{amount}の返金手続きを行いました。カード会社によっては反映まで5〜10営業日ほどかかる場合がございます。",
                "注文{order}の返品用の着払い伝票を作成し、本メールに添付いたしました。{carrier}にて集荷が確認でき次第、{amount}を返金いたします。",
            ),
            "question": (
                "倉庫の受付記録と照合するため、返送時の追跡番号を教えていただけますでしょうか。",
                "返金方法について、お支払いに使用されたカードへの返金とポイントでの返金のどちらをご希望でしょうか。",
            ),
            "followup": (
                "返送時の追跡番号は{tracking}です。{date}に配達済みになっています。",
                "お支払いに使ったカード(末尾{last4})への返金でお願いします。",
                "まだ明細に返金が表示されていません。もう一度ご確認いただけますか。",
            ),
            "resolution": (
                "注文{order}の返金({amount})の手続きが本日完了いたしました(受付番号{refno})。数営業日以内にご利用明細に反映される見込みです。",
                "決済担当部署にて{amount}の返金完了を確認いたしました。本件はいったん解決とさせていただきますが、来週末までに反映されない場合はご返信ください。",
            ),
        },
        "ru": {
            "subject": (
                "Возврат денег за заказ {order}",
                "Прошу оформить возврат – заказ {order}",
                "Возврат товара {product}",
                "Где мой возврат?",
            ),
            "problem": (
                "{date} я [вернул|вернула] {product} из заказа {order}, но деньги ({amount}) "
                "так и не пришли.",
                "Хочу вернуть {product}, купленный {date} (заказ {order}). Товар не "
                "подошёл, я им не [пользовался|пользовалась].",
                "На странице возвратов написано, что возврат по заказу {order} получен, но "
                "{amount} на карту так и не поступили.",
            ),
            "detail": (
                "Посылку [отправил|отправила] через {carrier}, по трекингу она доставлена на ваш "
                "склад.",
                "Прошло уже больше двух недель, в банке говорят, что никаких поступлений не "
                "ожидается.",
                "Товар в оригинальной упаковке, все комплектующие на месте.",
            ),
            "ask": (
                "Проверьте, пожалуйста, статус возврата и подскажите, когда ждать деньги.",
                "Подскажите, как оформить возврат.",
                "Можно вернуть деньги на карту, заканчивающуюся на {last4}?",
            ),
            "phone": (
                "Клиент звонил по поводу возврата за заказ {order} ({amount}). Товар отправлен "
                "обратно через {carrier}, деньги не поступили. Просит сообщить статус по почте.",
                "Клиент хочет вернуть {product} из заказа {order}, товар не использовался. "
                "Объяснили условия возврата (30 дней), просит прислать этикетку для отправки.",
            ),
            "reply": (
                "Я [проверил|проверила] заказ {order}: возврат поступил на наш склад {date}, и "
                "сегодня оформлен возврат {amount} на карту, заканчивающуюся на {last4}. В "
                "зависимости от банка деньги поступят в течение 5–10 рабочих дней.",
                "Для заказа {order} создана бесплатная этикетка для возврата, она во вложении. "
                "Как только {carrier} примет посылку, мы вернём {amount}.",
            ),
            "question": (
                "Пришлите, пожалуйста, трек-номер посылки с возвратом – сверим его с данными "
                "склада.",
                "Уточните, пожалуйста: вернуть деньги на карту, которой вы оплачивали заказ, или "
                "бонусами на счёт?",
            ),
            "followup": (
                "Трек-номер возврата: {tracking}. Посылка доставлена {date}.",
                "На карту, пожалуйста, она заканчивается на {last4}.",
                "В выписке по-прежнему ничего нет. Проверьте ещё раз, пожалуйста.",
            ),
            "resolution": (
                "Возврат {amount} по заказу {order} оформлен сегодня (номер операции {refno}). "
                "Деньги поступят на карту в течение нескольких рабочих дней.",
                "Платёжный отдел подтвердил, что возврат {amount} выполнен. Закрываем обращение, "
                "но если деньги не придут до конца следующей недели – просто ответьте на это "
                "письмо.",
            ),
        },
    },
    "double_charge": {
        "en": {
            "subject": (
                "Charged twice for order {order}",
                "Double charge on my card",
                "Duplicate payment of {amount}",
                "Why was I billed twice this month?",
            ),
            "problem": (
                "I was charged twice for my {plan} subscription this month – two payments of "
                "{amount} on {date}.",
                "My bank statement shows two identical charges of {amount} for order {order}, but "
                "I only placed the order once.",
                "When I checked out on {date} the page froze, so I clicked 'Pay' again – and now "
                "the amount has been taken twice.",
            ),
            "detail": (
                "Both charges are on the card ending in {last4}.",
                "Only one order confirmation arrived by e-mail.",
                "I've attached a screenshot of the statement.",
            ),
            "ask": (
                "Please refund the duplicate charge as soon as possible.",
                "Could you cancel one of the payments?",
                "Can you confirm which charge will be reversed?",
            ),
            "phone": (
                "Customer called: two charges of {amount} on {date} for order {order}, card ending "
                "{last4}. Upset, wants the duplicate reversed today.",
                "Caller reports double billing for the {plan} plan this month. Promised an e-mail "
                "reply once billing has checked.",
            ),
            "reply": (
                "Thank you for the screenshot. I can see both payments of {amount} on {date}; the "
                "second one was created when the checkout page was reloaded. I've refunded the "
                "duplicate charge – your order itself is not affected.",
                "I've checked with our billing team: one of the two charges is only an "
                "authorisation hold and will be released by your bank automatically within 3–5 "
                "business days.",
            ),
            "question": (
                "Could you tell me the last four digits of the card and the exact dates of both "
                "charges? I can't find a second payment on our side yet.",
                "Could you send a screenshot of the bank statement showing both charges? Feel free "
                "to hide everything except the dates and amounts.",
            ),
            "followup": (
                "The card ends in {last4}, and both charges are dated {date}.",
                "Here's the screenshot. Both show as completed, not pending.",
                "The second charge is still there today.",
            ),
            "resolution": (
                "The duplicate charge of {amount} has been refunded (reference {refno}). Sorry for "
                "the inconvenience – we've also fixed the checkout issue that caused it.",
                "I've confirmed the duplicate authorisation has been released. Your card was "
                "charged only once for order {order}.",
            ),
        },
        "ja": {
            "subject": (
                "注文{order}の代金が二重に請求されています",
                "クレジットカードの二重請求について",
                "{amount}が2回引き落とされています",
                "今月の請求が2回あります",
            ),
            "problem": (
                "今月、{plan}プランの料金として{date}に{amount}が2回請求されています。",
                "カードの明細に注文{order}の{amount}が2件計上されていますが、注文は1回しかしていません。",
                "{date}に購入手続きをした際に画面が固まり、もう一度「支払う」を押したところ、2回分引き落とされてしまいました。",
            ),
            "detail": (
                "どちらも末尾{last4}のカードです。",
                "注文確認メールは1通しか届いていません。",
                "明細のスクリーンショットを添付します。",
            ),
            "ask": (
                "重複した分をできるだけ早く返金してください。",
                "片方の請求を取り消していただけますか。",
                "どちらの請求が取り消されるのか教えてください。",
            ),
            "phone": (
                "二重請求の件で入電。{date}に{amount}が2回、注文{order}、カード末尾{last4}。本日中の取消を希望、ご立腹。",
                "今月の{plan}プラン料金が二重請求されているとのこと。請求担当で確認後、メールで回答すると案内。",
            ),
            "reply": (
                "スクリーンショットをお送りいただきありがとうございます。{date}の{amount}のお支払いが2件あることを確認いたしました。2件目は決済画面の再読み込みにより発生したもので、重複分は返金いたしました。ご注文自体には影響ございません。",
                "請求担当部署に確認したところ、2件のうち1件は与信枠の確保(オーソリ)のみで、3〜5営業日以内にカード会社にて自動的に取り消されます。",
            ),
            "question": (
                "お手数ですが、カード番号の末尾4桁と、2件の請求日を教えていただけますでしょうか。現時点で弊社側では2件目の決済が確認できておりません。",
                "2件の請求が記載された明細のスクリーンショットをお送りいただけますでしょうか。日付と金額以外は隠していただいて構いません。",
            ),
            "followup": (
                "カードの末尾は{last4}で、2件とも{date}付けです。",
                "スクリーンショットを添付します。どちらも「確定」になっています。",
                "本日時点でも2件目の請求が残っています。",
            ),
            "resolution": (
                "重複して請求された{amount}の返金手続きが完了いたしました(受付番号{refno})。ご迷惑をおかけし申し訳ございません。原因となった決済画面の不具合も修正いたしました。",
                "重複していたオーソリが取り消されたことを確認いたしました。注文{order}のご請求は1回のみとなります。",
            ),
        },
        "ru": {
            "subject": (
                "Двойное списание за заказ {order}",
                "С карты дважды списали деньги",
                "Повторный платёж {amount}",
                "Почему в этом месяце два списания?",
            ),
            "problem": (
                "В этом месяце за подписку {plan} с меня списали деньги дважды – два платежа по "
                "{amount} {date}.",
                "В выписке два одинаковых списания по {amount} за заказ {order}, хотя заказ я "
                "[оформлял|оформляла] один раз.",
                "{date} при оплате страница зависла, я [нажал|нажала] «Оплатить» ещё раз – и "
                "сумма списалась дважды.",
            ),
            "detail": (
                "Оба списания с карты, заканчивающейся на {last4}.",
                "Письмо с подтверждением заказа пришло только одно.",
                "Скриншот выписки прикладываю.",
            ),
            "ask": (
                "Верните, пожалуйста, лишнее списание как можно скорее.",
                "Отмените, пожалуйста, один из платежей.",
                "Подтвердите, пожалуйста, какой из платежей будет возвращён.",
            ),
            "phone": (
                "Звонок: два списания по {amount} {date} за заказ {order}, карта *{last4}. Клиент "
                "недоволен, просит вернуть дубль сегодня же.",
                "Клиент сообщает о двойном списании за тариф {plan} в этом месяце. Обещали "
                "ответить письмом после проверки в биллинге.",
            ),
            "reply": (
                "Спасибо за скриншот. Вижу оба платежа по {amount} от {date}: второй возник при "
                "перезагрузке страницы оплаты. Лишнее списание возвращено, на заказ это не "
                "влияет.",
                "Мы уточнили в биллинге: один из двух платежей – только блокировка средств, банк "
                "снимет её автоматически в течение 3–5 рабочих дней.",
            ),
            "question": (
                "Подскажите, пожалуйста, последние четыре цифры карты и точные даты обоих "
                "списаний? Второго платежа на нашей стороне пока не видно.",
                "Пришлите, пожалуйста, скриншот выписки с обоими списаниями – всё, кроме дат и "
                "сумм, можно скрыть.",
            ),
            "followup": (
                "Карта заканчивается на {last4}, оба списания от {date}.",
                "Скриншот во вложении. Оба платежа проведены, не в ожидании.",
                "Второе списание до сих пор висит в выписке.",
            ),
            "resolution": (
                "Лишнее списание {amount} возвращено (номер операции {refno}). Приносим извинения "
                "– ошибку на странице оплаты, из-за которой это произошло, мы уже исправили.",
                "Повторная блокировка средств снята. За заказ {order} деньги списаны только один "
                "раз.",
            ),
        },
    },
    "invoice": {
        "en": {
            "subject": (
                "Invoice for order {order}",
                "Company details on invoice {invoice}",
                "Invoice {invoice} shows the wrong amount",
            ),
            "problem": (
                "Could you send me an invoice for order {order}? Our accounting department needs "
                "it for the monthly closing.",
                "Invoice {invoice} has my personal name on it, but the purchase was for our "
                "company.",
                "The total on invoice {invoice} is {amount}, but I paid less after the discount "
                "code was applied.",
            ),
            "detail": (
                "Please include our VAT number and billing address.",
                "We need the invoice as a PDF.",
                "I couldn't find a download link in my account.",
            ),
            "ask": (
                "Could you re-issue the invoice with the correct details?",
                "Please send it to this e-mail address.",
                "When can I expect the corrected invoice?",
            ),
            "phone": (
                "Customer called asking for a corrected invoice {invoice}: company name and VAT "
                "number missing. Will reply to the e-mail on file.",
                "Caller needs invoices for the last three months for their accountant.",
            ),
            "reply": (
                "I've re-issued invoice {invoice} with your company name and VAT number; the "
                "updated PDF is attached.",
                "You can download all invoices under Account → Billing → Invoices. I've also "
                "attached the invoice for order {order} to this message.",
            ),
            "question": (
                "Could you send me the exact company name, billing address and VAT number you'd "
                "like on the invoice?",
                "Which e-mail address should receive the invoices in future?",
            ),
            "followup": (
                "The company details are in the attached file.",
                "Please send invoices to our accounts address from now on.",
                "The PDF still shows the old address, unfortunately.",
            ),
            "resolution": (
                "The corrected invoice {invoice} is attached. Future invoices will include your "
                "company details automatically.",
                "I've updated your billing profile, so all future invoices will go to your "
                "accounts team.",
            ),
        },
        "ja": {
            "subject": (
                "注文{order}の請求書発行のお願い",
                "請求書{invoice}の宛名変更のお願い",
                "請求書{invoice}の金額が違います",
            ),
            "problem": (
                "注文{order}の請求書をお送りいただけますでしょうか。月次決算で経理部門が必要としています。",
                "請求書{invoice}の宛名が個人名になっていますが、会社として購入したものです。",
                "請求書{invoice}の合計が{amount}になっていますが、実際にはクーポン適用後の金額を支払っています。",
            ),
            "detail": (
                "登録番号(T番号)と請求先住所の記載をお願いします。",
                "PDF形式でいただけると助かります。",
                "アカウント画面からダウンロードするリンクが見つかりませんでした。",
            ),
            "ask": (
                "正しい内容で再発行していただけますでしょうか。",
                "このメールアドレス宛にお送りください。",
                "再発行はいつ頃になりますでしょうか。",
            ),
            "phone": (
                "請求書{invoice}の再発行依頼で入電。会社名と登録番号の記載がないとのこと。登録メールアドレスへ回答予定。",
                "過去3か月分の請求書を税理士に渡したいとのこと。",
            ),
            "reply": (
                "請求書{invoice}を貴社名および登録番号を記載した内容で再発行し、PDFを添付いたしました。",
                "請求書は「アカウント → お支払い → 請求書」"
                "からいつでもダウンロードいただけます。注文{order}の請求書も本メールに添付いたしました。",
            ),
            "question": (
                "請求書に記載する正式な会社名、請求先住所、登録番号をお知らせいただけますでしょうか。",
                "今後の請求書の送付先メールアドレスをご指定ください。",
            ),
            "followup": (
                "会社情報を添付ファイルにまとめました。",
                "今後は経理部のアドレス宛にお送りください。",
                "PDFの住所がまだ旧住所のままになっています。",
            ),
            "resolution": (
                "修正した請求書{invoice}を添付いたします。今後の請求書には貴社情報が自動的に記載されます。",
                "請求先情報を更新いたしましたので、今後の請求書は経理部の皆様宛に送付されます。",
            ),
        },
        "ru": {
            "subject": (
                "Счёт за заказ {order}",
                "Реквизиты компании в счёте {invoice}",
                "В счёте {invoice} неверная сумма",
            ),
            "problem": (
                "Пришлите, пожалуйста, счёт за заказ {order} – он нужен бухгалтерии для закрытия "
                "месяца.",
                "В счёте {invoice} указано моё имя, а покупка была для компании.",
                "В счёте {invoice} сумма {amount}, но я [оплатил|оплатила] меньше – со скидкой по "
                "промокоду.",
            ),
            "detail": (
                "Укажите, пожалуйста, ИНН, КПП и юридический адрес.",
                "Нужен счёт в формате PDF.",
                "В личном кабинете я не [нашёл|нашла], где его скачать.",
            ),
            "ask": (
                "Можно перевыставить счёт с правильными реквизитами?",
                "Отправьте, пожалуйста, на этот адрес.",
                "Когда можно ожидать исправленный счёт?",
            ),
            "phone": (
                "Клиент звонил: нужен исправленный счёт {invoice}, не указаны название компании и "
                "ИНН. Ответим на почту из карточки.",
                "Клиенту нужны счета за последние три месяца для бухгалтера.",
            ),
            "reply": (
                "Счёт {invoice} перевыставлен с названием вашей компании и ИНН, обновлённый PDF во "
                "вложении.",
                "Все счета можно скачать в разделе «Аккаунт → Оплата → Счета». Счёт за заказ "
                "{order} также прикладываю к письму.",
            ),
            "question": (
                "Пришлите, пожалуйста, точное название компании, юридический адрес, ИНН и КПП для "
                "счёта.",
                "На какой адрес отправлять счета в дальнейшем?",
            ),
            "followup": (
                "Реквизиты компании – в приложенном файле.",
                "Счета, пожалуйста, отправляйте теперь в бухгалтерию.",
                "В PDF по-прежнему старый адрес, к сожалению.",
            ),
            "resolution": (
                "Исправленный счёт {invoice} во вложении. В следующих счетах реквизиты компании "
                "будут указываться автоматически.",
                "Платёжный профиль обновлён: все будущие счета будут уходить в вашу бухгалтерию.",
            ),
        },
    },
    "cancellation": {
        "en": {
            "subject": (
                "Cancel my subscription",
                "Please cancel my {plan} plan",
                "Cancellation and refund",
                "How do I turn off auto-renewal?",
            ),
            "problem": (
                "I'd like to cancel my {plan} subscription, effective at the end of the current "
                "billing period.",
                "We're moving to another tool, so please cancel our {plan} plan.",
                "I was charged {amount} for a renewal on {date}, but I meant to cancel before "
                "that.",
            ),
            "detail": (
                "I couldn't find a cancel button in the account settings.",
                "Please make sure no further payments are taken from the card ending in {last4}.",
                "We've been happy with the service, it's just too expensive for us now.",
            ),
            "ask": (
                "Please confirm the cancellation by e-mail.",
                "Could I get a refund for the renewal?",
                "What happens to our data after we cancel?",
            ),
            "phone": (
                "Customer called to cancel the {plan} plan; renewal of {amount} on {date} was "
                "unexpected. Asked about a refund of the renewal.",
                "Caller wants to cancel – moving to a competitor because of price. Offered the "
                "annual discount, declined.",
            ),
            "reply": (
                "I've cancelled your {plan} subscription. You'll keep access until the end of the "
                "current billing period and no further payments will be taken.",
                "As the renewal on {date} was less than 14 days ago, I've cancelled the "
                "subscription and refunded {amount} in full.",
            ),
            "question": (
                "Before I cancel: would a downgrade to the Starter plan work for you? It keeps "
                "your data and costs much less. If not, just reply and I'll cancel right away.",
                "Could you confirm you're the account owner by replying from the e-mail address "
                "registered on the account?",
            ),
            "followup": (
                "No thanks, please go ahead and cancel.",
                "Yes, I'm the account owner – replying from that address now.",
                "A downgrade might actually work. What would I lose?",
            ),
            "resolution": (
                "Your subscription has been cancelled and you'll receive a confirmation e-mail "
                "shortly. We keep your data for 30 days in case you change your mind.",
                "The cancellation is confirmed and the refund of {amount} has been issued "
                "(reference {refno}).",
            ),
        },
        "ja": {
            "subject": (
                "サブスクリプション解約のお願い",
                "{plan}プランの解約について",
                "解約と返金のお願い",
                "自動更新を停止したい",
            ),
            "problem": (
                "{plan}プランを今回の請求期間の終了をもって解約したいです。",
                "社内で別のツールに移行することになったため、{plan}プランを解約してください。",
                "{date}に更新料金として{amount}が請求されましたが、その前に解約するつもりでした。",
            ),
            "detail": (
                "アカウント設定に解約ボタンが見当たりませんでした。",
                "末尾{last4}のカードから今後引き落としがないようにしてください。",
                "サービスには満足していますが、費用面で継続が難しくなりました。",
            ),
            "ask": (
                "解約が完了したらメールでお知らせください。",
                "更新料金を返金していただくことは可能でしょうか。",
                "解約後、データはどうなりますか。",
            ),
            "phone": (
                "{plan}プランの解約希望で入電。{date}の更新料金{amount}は想定外とのことで、返金可否の確認を依頼された。",
                "価格面の理由で他社へ乗り換えのため解約希望。年間割引を案内したが辞退。",
            ),
            "reply": (
                "{plan}プランの解約手続きを完了いたしました。現在の請求期間の終了まではご利用いただけ、今後の請求は発生いたしません。",
                "{date}の更新から14日以内のため、解約のうえ{amount}を全額返金いたしました。",
            ),
            "question": (
                "解約の前に一点ご提案です。Starterプランへ変更いただくと、データはそのままで料金を大きく抑えられます。ご不要であればご返信いただければすぐに解約いたします。",
                "ご本人確認のため、アカウントにご登録のメールアドレスからご返信いただけますでしょうか。",
            ),
            "followup": (
                "ご提案ありがとうございます。ですが、解約でお願いします。",
                "登録しているアドレスから返信しています。",
                "プラン変更も検討したいです。どの機能が使えなくなりますか。",
            ),
            "resolution": (
                "解約手続きが完了し、確認メールをお送りいたしました。お気持ちが変わった場合に備え、データは30日間保管いたします。",
                "解約が確定し、{amount}の返金手続きも完了いたしました(受付番号{refno})。",
            ),
        },
        "ru": {
            "subject": (
                "Отмена подписки",
                "Прошу отключить тариф {plan}",
                "Отмена подписки и возврат",
                "Как отключить автопродление?",
            ),
            "problem": (
                "Хочу отменить подписку {plan} с окончанием текущего оплаченного периода.",
                "Мы переходим на другой сервис, поэтому прошу отключить наш тариф {plan}.",
                "{date} с меня списали {amount} за продление, хотя я [собирался|собиралась] "
                "отменить подписку раньше.",
            ),
            "detail": (
                "В настройках аккаунта я не [нашёл|нашла] кнопку отмены.",
                "Проследите, пожалуйста, чтобы с карты *{last4} больше ничего не списывалось.",
                "Сервисом мы довольны, просто сейчас для нас это дорого.",
            ),
            "ask": (
                "Подтвердите, пожалуйста, отмену письмом.",
                "Можно ли вернуть деньги за продление?",
                "Что будет с нашими данными после отмены?",
            ),
            "phone": (
                "Клиент звонил отменить тариф {plan}; продление на {amount} {date} стало "
                "неожиданностью. Спрашивает про возврат за продление.",
                "Клиент хочет отменить подписку – уходит к конкуренту из-за цены. Предложили "
                "годовую скидку, отказался.",
            ),
            "reply": (
                "Подписка {plan} отменена. Доступ сохранится до конца оплаченного периода, больше "
                "списаний не будет.",
                "Продление {date} было меньше 14 дней назад, поэтому подписка отменена, а {amount} "
                "возвращены полностью.",
            ),
            "question": (
                "Прежде чем отменять: может быть, вам подойдёт тариф Starter? Данные сохранятся, а "
                "стоимость намного ниже. Если нет – просто ответьте, и мы сразу отменим подписку.",
                "Подтвердите, пожалуйста, что вы владелец аккаунта, – ответьте с адреса, на "
                "который он зарегистрирован.",
            ),
            "followup": (
                "Нет, спасибо, отменяйте, пожалуйста.",
                "Да, я владелец, пишу с этого адреса.",
                "Пожалуй, переход на Starter подойдёт. Что я потеряю?",
            ),
            "resolution": (
                "Подписка отменена, письмо с подтверждением придёт в ближайшее время. Данные "
                "хранятся 30 дней – на случай, если вы передумаете.",
                "Отмена подтверждена, возврат {amount} оформлен (номер операции {refno}).",
            ),
        },
    },
    "password_reset": {
        "en": {
            "subject": (
                "Can't reset my password",
                "Password reset e-mail never arrives",
                "Reset link expired",
                "Locked out of my account",
            ),
            "problem": (
                "I've tried to reset my password three times today, but the reset e-mail never "
                "arrives.",
                "When I click the link in the password reset e-mail I get 'This link has "
                "expired', even though I clicked it right away.",
                "I'm locked out of my account after too many attempts and I need to get to my "
                "orders.",
            ),
            "detail": (
                "I've checked my spam folder too.",
                "I'm using {device}.",
                "I last logged in successfully on {date}.",
            ),
            "ask": (
                "Could you send me a new link or reset it manually?",
                "Please help me get back into my account.",
                "Is there another way to verify my identity?",
            ),
            "phone": (
                "Customer called, locked out after several failed login attempts. Verified "
                "identity via last order {order}. Asked for a fresh reset link.",
                "Caller never receives password reset e-mails. Checked the address spelling with "
                "them; wants us to check the mail logs.",
            ),
            "reply": (
                "I've checked our mail logs: the reset e-mails were blocked by your provider's "
                "spam filter. I've just sent a new link – it's valid for 60 minutes.",
                "I've unlocked your account and sent a fresh password reset link. Please open it "
                "in the same browser you use to sign in.",
            ),
            "question": (
                "Could you confirm the e-mail address you registered with? It might be different "
                "from the one you're writing from.",
                "Could you tell me which browser you're using and whether you see an error "
                "message?",
            ),
            "followup": (
                "I registered with this same address, I'm sure.",
                "Still nothing – the new e-mail didn't arrive either.",
                "The link opened this time, but I get an error after entering the new password.",
            ),
            "resolution": (
                "Glad you're back in! For extra security I'd recommend turning on two-factor "
                "authentication under Account → Security.",
                "I've confirmed the password was changed successfully and your account is "
                "unlocked.",
            ),
        },
        "ja": {
            "subject": (
                "パスワードを再設定できません",
                "パスワード再設定メールが届きません",
                "再設定リンクの有効期限切れについて",
                "アカウントにログインできなくなりました",
            ),
            "problem": (
                "今日3回パスワードの再設定を試しましたが、再設定メールが一度も届きません。",
                "パスワード再設定メールのリンクをすぐにクリックしたのに、「このリンクは有効期限切れです」と表示されます。",
                "何度かログインに失敗したため、アカウントがロックされてしまいました。注文履歴を確認したいです。",
            ),
            "detail": (
                "迷惑メールフォルダも確認しました。",
                "使用している端末は{device}です。",
                "最後に正常にログインできたのは{date}です。",
            ),
            "ask": (
                "新しいリンクを送っていただくか、手動でリセットしていただけますか。",
                "ログインできるようにしていただけますでしょうか。",
                "ほかに本人確認の方法はありますか。",
            ),
            "phone": (
                "ログイン失敗が続きアカウントロック。直近の注文{order}で本人確認済み。再設定リンクの再送を希望。",
                "パスワード再設定メールが届かないとのこと。アドレスの綴りを一緒に確認。メール送信ログの確認を依頼された。",
            ),
            "reply": (
                "メール送信ログを確認したところ、再設定メールがご利用のプロバイダの迷惑メールフィルタでブロックされていました。先ほど新しいリンクをお送りいたしました(有効期限60分)。",
                "アカウントのロックを解除し、新しいパスワード再設定リンクをお送りいたしました。普段ログインに使用しているブラウザで開いてください。",
            ),
            "question": (
                "ご登録のメールアドレスをご確認いただけますでしょうか。今回ご連絡いただいたアドレスと異なる可能性がございます。",
                "ご利用のブラウザと、表示されるエラーメッセージを教えていただけますでしょうか。",
            ),
            "followup": (
                "登録したのはこのアドレスで間違いありません。",
                "新しいメールもやはり届いていません。",
                "今回はリンクが開きましたが、新しいパスワードを入力するとエラーになります。",
            ),
            "resolution": (
                "無事ログインいただけたとのことで安心いたしました。セキュリティ強化のため、"
                "「アカウント → セキュリティ」"
                "から二段階認証の設定をおすすめいたします。",
                "パスワードの変更が正常に完了し、アカウントのロックが解除されたことを確認いたしました。",
            ),
        },
        "ru": {
            "subject": (
                "Не могу сбросить пароль",
                "Не приходит письмо для сброса пароля",
                "Ссылка для сброса пароля устарела",
                "Аккаунт заблокирован",
            ),
            "problem": (
                "Сегодня я трижды [пытался|пыталась] сбросить пароль, но письмо так и не пришло.",
                "Когда перехожу по ссылке из письма для сброса пароля, пишет «Срок действия "
                "ссылки истёк», хотя я [открыл|открыла] её сразу.",
                "После нескольких неудачных попыток входа аккаунт заблокирован, а мне нужно "
                "посмотреть свои заказы.",
            ),
            "detail": (
                "Папку «Спам» тоже [проверил|проверила].",
                "Захожу с устройства {device}.",
                "Последний раз нормально [входил|входила] {date}.",
            ),
            "ask": (
                "Пришлите, пожалуйста, новую ссылку или сбросьте пароль вручную.",
                "Помогите, пожалуйста, восстановить доступ.",
                "Есть ли другой способ подтвердить личность?",
            ),
            "phone": (
                "Звонок: аккаунт заблокирован после нескольких неудачных попыток входа. Личность "
                "подтверждена по последнему заказу {order}. Просит новую ссылку для сброса.",
                "Клиенту не приходят письма для сброса пароля. Сверили написание адреса; просит "
                "проверить почтовые логи.",
            ),
            "reply": (
                "Я [проверил|проверила] почтовые логи: письма для сброса блокировал спам-фильтр "
                "вашего почтового сервиса. Только что отправлена новая ссылка, она действует 60 "
                "минут.",
                "Аккаунт разблокирован, новая ссылка для сброса пароля отправлена. Откройте её, "
                "пожалуйста, в том же браузере, в котором входите в аккаунт.",
            ),
            "question": (
                "Уточните, пожалуйста, адрес, на который зарегистрирован аккаунт, – он может "
                "отличаться от того, с которого вы пишете.",
                "Подскажите, каким браузером вы пользуетесь и появляется ли сообщение об ошибке?",
            ),
            "followup": (
                "Аккаунт зарегистрирован именно на этот адрес, я [уверен|уверена].",
                "Новое письмо тоже не пришло.",
                "В этот раз ссылка открылась, но после ввода нового пароля появляется ошибка.",
            ),
            "resolution": (
                "Рады, что доступ восстановлен! Для безопасности рекомендуем включить "
                "двухфакторную аутентификацию в разделе «Аккаунт → Безопасность».",
                "Пароль успешно изменён, аккаунт разблокирован.",
            ),
        },
    },
    "login_2fa": {
        "en": {
            "subject": (
                "2FA codes not accepted",
                "Lost my phone – can't log in",
                "Login loop after the update",
                "Two-factor authentication problem",
            ),
            "problem": (
                "The 6-digit codes from my authenticator app are rejected every time I try to "
                "log in.",
                "I got a new phone and didn't move my authenticator app, so now I can't log in.",
                "Since the update to version {version}, the app keeps sending me back to the "
                "login screen after I enter the 2FA code.",
            ),
            "detail": (
                "I'm using {device}.",
                "The time on my phone is set automatically.",
                "I have backup codes somewhere, but I can't find them.",
            ),
            "ask": (
                "How can I reset two-factor authentication?",
                "Please help – I need access today.",
                "Is this a known issue?",
            ),
            "phone": (
                "Customer called: lost phone, no backup codes, can't pass 2FA. Identity "
                "verification started – waiting for the ID document upload.",
                "Caller's 2FA codes rejected since {date}. Clock on the device ({device}) is "
                "correct.",
            ),
            "reply": (
                "After verifying your identity, I've reset two-factor authentication on your "
                "account. The next time you sign in you'll be asked to set it up again.",
                "This is a known issue in version {version}; the fix is in the next update. Until "
                "then, signing in via the web app works as a workaround.",
            ),
            "question": (
                "For security reasons we need to verify your identity before resetting 2FA. "
                "Could you reply with the number of your most recent order and the last four "
                "digits of the card used?",
                "Could you send us a screenshot of the error and tell us which app version you "
                "have installed?",
            ),
            "followup": (
                "My last order was {order}, paid with the card ending in {last4}.",
                "Screenshot attached. The app version is {version}.",
                "I've updated the app, but it still doesn't work.",
            ),
            "resolution": (
                "2FA has been reset and you should be able to sign in now. Please keep the new "
                "backup codes somewhere safe.",
                "The update with the fix is now in the app store. After updating, the login loop "
                "should be gone.",
            ),
        },
        "ja": {
            "subject": (
                "二段階認証のコードが通りません",
                "スマートフォン紛失でログインできません",
                "アップデート後にログイン画面に戻ってしまう",
                "二段階認証について",
            ),
            "problem": (
                "認証アプリの6桁のコードを入力しても、毎回エラーになりログインできません。",
                "スマートフォンを機種変更した際に認証アプリを移行しなかったため、ログインできなくなりました。",
                "バージョン{version}にアップデートしてから、二段階認証のコードを入力するとログイン画面に戻されてしまいます。",
            ),
            "detail": (
                "端末は{device}です。",
                "スマートフォンの時刻は自動設定になっています。",
                "バックアップコードをどこかに保存したはずですが、見つかりません。",
            ),
            "ask": (
                "二段階認証をリセットする方法を教えてください。",
                "今日中に使う必要があるので、至急対応をお願いします。",
                "既知の不具合でしょうか。",
            ),
            "phone": (
                "スマホ紛失、バックアップコードなしで二段階認証を通過できず。本人確認手続きを開始、身分証のアップロード待ち。",
                "{date}以降、二段階認証コードが通らないとのこと。端末({device})の時刻設定は正常。",
            ),
            "reply": (
                "ご本人確認が取れましたので、アカウントの二段階認証をリセットいたしました。次回ログイン時に再設定をお願いいたします。",
                "バージョン{version}の既知の不具合で、次回のアップデートで修正される予定です。それまではWeb版からログインいただけます。",
            ),
            "question": (
                "二段階認証のリセットには本人確認が必要となります。直近のご注文番号と、お支払いに使用されたカードの末尾4桁をお知らせいただけますでしょうか。",
                "エラー画面のスクリーンショットと、インストールされているアプリのバージョンをお知らせいただけますでしょうか。",
            ),
            "followup": (
                "直近の注文は{order}で、末尾{last4}のカードで支払いました。",
                "スクリーンショットを添付します。アプリのバージョンは{version}です。",
                "アプリを更新しましたが、まだ改善しません。",
            ),
            "resolution": (
                "二段階認証のリセットが完了しましたので、ログインいただけるようになりました。新しいバックアップコードは大切に保管してください。",
                "修正版のアップデートが配信されました。アプリを更新いただくと、ログイン画面に戻る現象は解消されます。",
            ),
        },
        "ru": {
            "subject": (
                "Не принимаются коды 2FA",
                "Потерял телефон – не могу войти",
                "После обновления выкидывает на экран входа",
                "Проблема с двухфакторной аутентификацией",
            ),
            "problem": (
                "Шестизначные коды из приложения-аутентификатора не принимаются при каждой "
                "попытке входа.",
                "Я [сменил|сменила] телефон и не [перенёс|перенесла] приложение-аутентификатор, "
                "теперь не могу войти.",
                "После обновления до версии {version} приложение после ввода кода 2FA снова "
                "возвращает на экран входа.",
            ),
            "detail": (
                "Устройство: {device}.",
                "Время на телефоне выставляется автоматически.",
                "Резервные коды где-то были, но найти их не могу.",
            ),
            "ask": (
                "Как сбросить двухфакторную аутентификацию?",
                "Помогите, пожалуйста, доступ нужен сегодня.",
                "Это известная проблема?",
            ),
            "phone": (
                "Звонок: клиент потерял телефон, резервных кодов нет, 2FA не пройти. Начата "
                "проверка личности – ждём загрузку документа.",
                "С {date} у клиента не принимаются коды 2FA. Время на устройстве ({device}) "
                "верное.",
            ),
            "reply": (
                "Личность подтверждена, двухфакторная аутентификация для вашего аккаунта "
                "сброшена. При следующем входе её нужно будет настроить заново.",
                "Это известная ошибка версии {version}, исправление выйдет в следующем "
                "обновлении. Пока можно входить через веб-версию.",
            ),
            "question": (
                "Чтобы сбросить 2FA, нам нужно подтвердить вашу личность. Пришлите, пожалуйста, "
                "номер последнего заказа и последние четыре цифры карты, которой он оплачен.",
                "Пришлите, пожалуйста, скриншот ошибки и укажите версию установленного приложения.",
            ),
            "followup": (
                "Последний заказ – {order}, оплачен картой *{last4}.",
                "Скриншот во вложении. Версия приложения {version}.",
                "Я [обновил|обновила] приложение, но ничего не изменилось.",
            ),
            "resolution": (
                "2FA сброшена, теперь вы можете войти. Сохраните, пожалуйста, новые резервные "
                "коды в надёжном месте.",
                "Обновление с исправлением уже доступно в магазине приложений. После обновления "
                "проблема со входом исчезнет.",
            ),
        },
    },
    "shipping_delay": {
        "en": {
            "subject": (
                "Where is my order {order}?",
                "Order {order} hasn't arrived",
                "Delivery delayed – order {order}",
                "Tracking not updated for a week",
            ),
            "problem": (
                "I ordered the {product} on {date} (order {order}) and it still hasn't arrived.",
                "Tracking number {tracking} hasn't been updated for a week – it's stuck at 'In "
                "transit'.",
                "The delivery date in my confirmation e-mail has passed and I haven't received "
                "anything yet.",
            ),
            "detail": (
                "I need it for a gift this weekend.",
                "Nobody came to the door and there's no card from {carrier}.",
                "I paid for express shipping.",
            ),
            "ask": (
                "Could you tell me where my parcel is?",
                "If it's lost, please send a replacement.",
                "Can I get the shipping fee back since it's late?",
            ),
            "phone": (
                "Customer called about order {order}: tracking {tracking} not updated since "
                "{date}. Needs it by the weekend; asked about sending a replacement.",
                "Caller says {carrier} marked order {order} as delivered, but nothing arrived. "
                "Already asked the neighbours.",
            ),
            "reply": (
                "I've contacted {carrier} about tracking number {tracking}. They confirmed the "
                "parcel was held up at the regional hub and should be delivered within 2–3 "
                "business days.",
                "I'm sorry your order is late. As you paid for express shipping, I've refunded "
                "the shipping fee and opened an investigation with {carrier}.",
            ),
            "question": (
                "Could you confirm the delivery address on the order is correct, including the "
                "flat or apartment number?",
                "{carrier} says the parcel was delivered on {date}. Could you check with your "
                "neighbours or building reception?",
            ),
            "followup": (
                "Yes, the address is correct.",
                "I've checked with my neighbours and reception – nobody has it.",
                "It's still not here and the tracking hasn't changed.",
            ),
            "resolution": (
                "{carrier} has confirmed the parcel is lost, so I've sent a replacement by "
                "express delivery. New tracking number: {newtracking}.",
                "Great to hear the parcel has arrived! I've also refunded the shipping fee for "
                "the delay.",
            ),
        },
        "ja": {
            "subject": (
                "注文{order}がまだ届きません",
                "注文{order}の配送状況について",
                "配送遅延について(注文{order})",
                "追跡情報が1週間更新されていません",
            ),
            "problem": (
                "{date}に{product}を注文しました(注文番号{order})が、まだ届いていません。",
                "追跡番号{tracking}の配送状況が1週間「輸送中」のまま更新されていません。",
                "注文確認メールに記載のお届け予定日を過ぎましたが、まだ何も届いていません。",
            ),
            "detail": (
                "週末に贈り物として渡す予定です。",
                "{carrier}の不在票も入っていませんでした。",
                "お急ぎ便の料金を支払っています。",
            ),
            "ask": (
                "荷物が今どこにあるのか確認していただけますか。",
                "紛失している場合は、代わりの商品を送っていただけますか。",
                "遅れているので、送料を返金していただくことはできますか。",
            ),
            "phone": (
                "注文{order}の件で入電。追跡番号{tracking}が{date}から更新なし。週末までに必要とのことで、代替品の発送を希望。",
                "{carrier}では注文{order}が配達完了になっているが受け取っていないとのこと。近所にも確認済み。",
            ),
            "reply": (
                "追跡番号{tracking}について{carrier}に問い合わせたところ、地域の配送センターで滞留しており、2〜3営業日以内にお届けできる見込みとの回答がございました。",
                "お届けが遅れており、誠に申し訳ございません。お急ぎ便をご利用いただいていたため、送料を返金し、{carrier}に調査を依頼いたしました。",
            ),
            "question": (
                "ご注文時のお届け先住所(建物名・部屋番号を含む)に誤りがないかご確認いただけますでしょうか。",
                "{carrier}によると{date}に配達済みとなっております。お手数ですが、近隣の方や建物の管理人室にご確認いただけますでしょうか。",
            ),
            "followup": (
                "住所は正しいです。",
                "近所や管理人室にも確認しましたが、届いていないそうです。",
                "まだ届いておらず、追跡情報も変わっていません。",
            ),
            "resolution": (
                "{carrier}にて荷物の紛失が確認されたため、代替品をお急ぎ便で発送いたしました。新しい追跡番号は{newtracking}です。",
                "無事にお荷物が届いたとのことで安心いたしました。遅延分の送料も返金いたしました。",
            ),
        },
        "ru": {
            "subject": (
                "Где мой заказ {order}?",
                "Заказ {order} не доставлен",
                "Задержка доставки – заказ {order}",
                "Трекинг не обновляется неделю",
            ),
            "problem": (
                "Я [заказал|заказала] {product} {date} (заказ {order}), а он до сих пор не пришёл.",
                "Трек-номер {tracking} не обновляется уже неделю – статус «В пути».",
                "Дата доставки из письма-подтверждения прошла, а я так ничего и не "
                "[получил|получила].",
            ),
            "detail": (
                "Это подарок, он нужен к выходным.",
                "Курьер не приходил, извещения от {carrier} тоже нет.",
                "Я [оплатил|оплатила] экспресс-доставку.",
            ),
            "ask": (
                "Подскажите, где сейчас посылка?",
                "Если она потерялась, пришлите, пожалуйста, замену.",
                "Можно вернуть стоимость доставки, раз она задержалась?",
            ),
            "phone": (
                "Звонок по заказу {order}: трек {tracking} не обновляется с {date}. Нужен к "
                "выходным, спрашивает про отправку замены.",
                "Клиент говорит, что {carrier} отметил заказ {order} как доставленный, но посылку "
                "никто не получал. Соседей уже спрашивал.",
            ),
            "reply": (
                "Мы связались с {carrier} по трек-номеру {tracking}: посылка задержалась на "
                "региональном сортировочном центре и будет доставлена в течение 2–3 рабочих "
                "дней.",
                "Приносим извинения за задержку. Поскольку вы оплатили экспресс-доставку, её "
                "стоимость возвращена, а в {carrier} открыт запрос на розыск посылки.",
            ),
            "question": (
                "Проверьте, пожалуйста, адрес доставки в заказе – особенно номер квартиры или "
                "офиса.",
                "По данным {carrier}, посылка доставлена {date}. Уточните, пожалуйста, у соседей "
                "или на ресепшене.",
            ),
            "followup": (
                "Да, адрес верный.",
                "[Спросил|Спросила] у соседей и на ресепшене – ни у кого нет.",
                "Посылки всё ещё нет, трекинг не меняется.",
            ),
            "resolution": (
                "{carrier} подтвердил, что посылка утеряна, поэтому мы отправили замену "
                "экспресс-доставкой. Новый трек-номер: {newtracking}.",
                "Рады, что посылка пришла! Стоимость доставки за задержку мы вернули.",
            ),
        },
    },
    "damaged_item": {
        "en": {
            "subject": (
                "{product} arrived damaged",
                "Broken item in order {order}",
                "Damaged parcel",
                "{product} not working out of the box",
            ),
            "problem": (
                "The {product} from order {order} arrived today with a cracked housing.",
                "The box was crushed when it arrived and the {product} inside is broken.",
                "I unpacked the {product} and it doesn't turn on at all.",
            ),
            "detail": (
                "I've attached photos of the box and the item.",
                "I haven't used it – it was like this when I opened the box.",
                "The outer packaging looked fine, so it must have happened before shipping.",
            ),
            "ask": (
                "Could you send a replacement?",
                "I'd prefer a refund rather than a replacement.",
                "What should I do with the broken one?",
            ),
            "phone": (
                "Customer called: {product} (order {order}) delivered broken, box crushed. Will "
                "e-mail photos. Prefers a replacement.",
                "Caller says the new {product} doesn't power on. Tried another socket. Asked for "
                "an exchange.",
            ),
            "reply": (
                "I'm sorry the {product} arrived damaged. I've arranged a replacement – it ships "
                "today and you'll receive the tracking number by e-mail. There's no need to "
                "return the damaged one.",
                "Thank you for the photos. I've issued a full refund of {amount} for the damaged "
                "{product}.",
            ),
            "question": (
                "Could you send us a photo of the damage and of the shipping label on the box? "
                "We need it for the claim with {carrier}.",
                "Before we send a replacement, could you try holding the power button for 10 "
                "seconds and let me know whether the light comes on?",
            ),
            "followup": (
                "Photos attached.",
                "I tried that – still nothing.",
                "Here's a picture of the label as well.",
            ),
            "resolution": (
                "Your replacement {product} has shipped (tracking {newtracking}). Sorry again for "
                "the trouble!",
                "The refund of {amount} is complete. We've also reported the damage to {carrier}.",
            ),
        },
        "ja": {
            "subject": (
                "{product}が破損して届きました",
                "注文{order}の商品が壊れていました",
                "配送中の破損について",
                "{product}の電源が入りません(初期不良)",
            ),
            "problem": (
                "本日届いた注文{order}の{product}の本体にひびが入っていました。",
                "届いた箱がつぶれており、中の{product}が壊れていました。",
                "{product}を開封しましたが、電源がまったく入りません。",
            ),
            "detail": (
                "箱と商品の写真を添付します。",
                "開封した時点でこの状態で、使用はしていません。",
                "外箱はきれいだったので、出荷前に破損していたのではないかと思います。",
            ),
            "ask": (
                "交換品を送っていただけますか。",
                "交換ではなく返金を希望します。",
                "壊れた商品はどうすればよいでしょうか。",
            ),
            "phone": (
                "注文{order}の{product}が破損して到着、外箱もつぶれていたとのこと。写真をメールで送付予定。交換希望。",
                "新品の{product}の電源が入らないとのこと。別のコンセントでも同様。交換を希望。",
            ),
            "reply": (
                "{product}が破損した状態で届き、誠に申し訳ございません。交換品を本日発送いたします。追跡番号は別途メールでお知らせいたします。破損品のご返送は不要です。",
                "お写真をお送りいただきありがとうございます。破損した{product}について、{amount}を全額返金いたしました。",
            ),
            "question": (
                "{carrier}への補償申請のため、破損箇所と外箱の送り状の写真をお送りいただけますでしょうか。",
                "交換品をお送りする前に、電源ボタンを10秒間長押ししてランプが点灯するかお試しいただけますでしょうか。",
            ),
            "followup": (
                "写真を添付しました。",
                "試してみましたが、やはり電源が入りません。",
                "送り状の写真もお送りします。",
            ),
            "resolution": (
                "交換品の{product}を発送いたしました(追跡番号{newtracking})。このたびはご迷惑をおかけし申し訳ございませんでした。",
                "{amount}の返金手続きが完了いたしました。破損については{carrier}にも報告済みです。",
            ),
        },
        "ru": {
            "subject": (
                "{product} пришёл повреждённым",
                "Сломанный товар в заказе {order}",
                "Повреждённая посылка",
                "{product} не включается",
            ),
            "problem": (
                "Сегодня пришёл {product} из заказа {order} – корпус треснул.",
                "Коробка пришла смятая, а {product} внутри сломан.",
                "Я [распаковал|распаковала] {product}, а он вообще не включается.",
            ),
            "detail": (
                "Фотографии коробки и товара прикладываю.",
                "Я им не [пользовался|пользовалась] – он был таким сразу при распаковке.",
                "Внешняя упаковка была целой, значит, повреждение было ещё до отправки.",
            ),
            "ask": (
                "Можете прислать замену?",
                "Я бы [предпочёл|предпочла] возврат денег, а не замену.",
                "Что делать со сломанным товаром?",
            ),
            "phone": (
                "Звонок: {product} (заказ {order}) пришёл сломанным, коробка смята. Фото пришлёт "
                "на почту. Хочет замену.",
                "Клиент говорит, что новый {product} не включается, в другой розетке тоже. "
                "Просит обмен.",
            ),
            "reply": (
                "Очень жаль, что {product} пришёл повреждённым. Замена будет отправлена сегодня, "
                "трек-номер придёт отдельным письмом. Повреждённый товар возвращать не нужно.",
                "Спасибо за фотографии. За повреждённый {product} оформлен полный возврат "
                "{amount}.",
            ),
            "question": (
                "Пришлите, пожалуйста, фото повреждений и транспортной наклейки на коробке – это "
                "нужно для претензии к {carrier}.",
                "Прежде чем отправлять замену: попробуйте, пожалуйста, удерживать кнопку питания "
                "10 секунд. Загорается ли индикатор?",
            ),
            "followup": (
                "Фото во вложении.",
                "[Попробовал|Попробовала] – всё равно не включается.",
                "Вот ещё фото наклейки.",
            ),
            "resolution": (
                "Замена ({product}) отправлена, трек-номер {newtracking}. Ещё раз извините за "
                "неудобства!",
                "Возврат {amount} выполнен. О повреждении мы также сообщили в {carrier}.",
            ),
        },
    },
    "account_change": {
        "en": {
            "subject": (
                "Change the e-mail address on my account",
                "Update our billing address",
                "Transfer account to a colleague",
                "Merge two accounts",
            ),
            "problem": (
                "I'd like to change the e-mail address on my account to {newmail}.",
                "We've moved offices, so our billing and delivery address needs updating.",
                "I'm leaving the company and need to transfer ownership of our account to a "
                "colleague.",
                "I accidentally created two accounts and would like to merge them into one.",
            ),
            "detail": (
                "Please keep the order history.",
                "I'm the owner of the account.",
                "It's fairly urgent, as our finance team is waiting for it.",
            ),
            "ask": (
                "What do you need from me to do this?",
                "Could you make the change today?",
                "Please confirm once it's done.",
            ),
            "phone": (
                "Customer called to update account details (see subject). Identity verified with "
                "last order {order}.",
                "Caller wants changes to the account; asked us to confirm by e-mail.",
            ),
            "reply": (
                "I've made the change you asked for. You'll receive a confirmation e-mail shortly; "
                "your order history is unaffected.",
                "The change is prepared on our side – it will be applied as soon as you confirm "
                "via the link we've just e-mailed to you.",
            ),
            "question": (
                "For security, please reply from the e-mail address currently on the account, or "
                "tell me the number of your last order.",
                "Could you send me the full new address, including the postcode?",
            ),
            "followup": (
                "My last order number is {order}.",
                "The new address is in my signature below.",
                "Replying from the old address now, as requested.",
            ),
            "resolution": (
                "All done – the changes are saved and you'll get a confirmation e-mail shortly.",
                "The change is complete and confirmed. Thank you for your patience!",
            ),
        },
        "ja": {
            "subject": (
                "登録メールアドレスの変更",
                "請求先住所の変更のお願い",
                "アカウントの引き継ぎについて",
                "2つのアカウントの統合",
            ),
            "problem": (
                "アカウントの登録メールアドレスを{newmail}に変更したいです。",
                "事務所を移転したため、請求先と配送先の住所を変更したいです。",
                "退職することになったため、会社のアカウントの管理者を同僚に引き継ぎたいです。",
                "誤ってアカウントを2つ作ってしまったので、1つにまとめたいです。",
            ),
            "detail": (
                "注文履歴は残しておきたいです。",
                "アカウントの所有者は私です。",
                "経理担当が待っているため、できれば急ぎでお願いします。",
            ),
            "ask": (
                "手続きに必要なものを教えてください。",
                "本日中に変更していただけますか。",
                "完了したらご連絡ください。",
            ),
            "phone": (
                "アカウント情報の変更依頼で入電(件名参照)。直近の注文{order}で本人確認済み。",
                "アカウントの変更を希望。完了後メールで連絡してほしいとのこと。",
            ),
            "reply": (
                "ご依頼どおり変更いたしました。まもなく確認メールが届きます。ご注文履歴はそのまま残っております。",
                "変更の準備ができました。先ほどお送りしたメールのリンクからご承認いただくと反映されます。",
            ),
            "question": (
                "セキュリティのため、現在ご登録のメールアドレスからご返信いただくか、直近のご注文番号をお知らせいただけますでしょうか。",
                "郵便番号を含む新しいご住所をお知らせいただけますでしょうか。",
            ),
            "followup": (
                "直近の注文番号は{order}です。",
                "新しい住所は下記の署名に記載しています。",
                "ご指示どおり、旧アドレスから返信しています。",
            ),
            "resolution": (
                "変更が完了いたしました。まもなく確認メールが届きます。",
                "ご承認いただき、変更が完了いたしました。ご協力ありがとうございました。",
            ),
        },
        "ru": {
            "subject": (
                "Смена e-mail в аккаунте",
                "Изменить адрес для счетов",
                "Передать аккаунт коллеге",
                "Объединить два аккаунта",
            ),
            "problem": (
                "Хочу сменить адрес электронной почты в аккаунте на {newmail}.",
                "Мы переехали в новый офис, нужно обновить адрес для счетов и доставки.",
                "Я ухожу из компании, нужно передать права владельца аккаунта коллеге.",
                "Я случайно [создал|создала] два аккаунта – можно объединить их в один?",
            ),
            "detail": (
                "Историю заказов хотелось бы сохранить.",
                "Владелец аккаунта – я.",
                "Желательно побыстрее, бухгалтерия ждёт.",
            ),
            "ask": (
                "Что от меня для этого нужно?",
                "Можно сделать это сегодня?",
                "Сообщите, пожалуйста, когда будет готово.",
            ),
            "phone": (
                "Клиент звонил изменить данные аккаунта (см. тему). Личность подтверждена по "
                "последнему заказу {order}.",
                "Клиент просит изменить данные аккаунта; подтверждение просит прислать письмом.",
            ),
            "reply": (
                "Изменения внесены, письмо с подтверждением придёт в ближайшее время. История "
                "заказов сохранена.",
                "Изменение подготовлено – оно вступит в силу, как только вы подтвердите его по "
                "ссылке из письма, которое мы только что отправили.",
            ),
            "question": (
                "В целях безопасности ответьте, пожалуйста, с адреса, который сейчас указан в "
                "аккаунте, или сообщите номер последнего заказа.",
                "Пришлите, пожалуйста, новый адрес полностью, с индексом.",
            ),
            "followup": (
                "Номер последнего заказа – {order}.",
                "Новый адрес в подписи ниже.",
                "Отвечаю со старого адреса, как вы просили.",
            ),
            "resolution": (
                "Готово – изменения сохранены, письмо с подтверждением скоро придёт.",
                "Изменение подтверждено и применено. Спасибо за терпение!",
            ),
        },
    },
    "feature_request": {
        "en": {
            "subject": (
                "Feature request: dark mode",
                "Could you add export to PDF?",
                "Please support several delivery addresses",
                "Suggestion: shared family account",
            ),
            "problem": (
                "I'd love to see a dark mode in the app – I mostly use it in the evening.",
                "It would be great if reports could be exported as PDF, not only CSV.",
                "I often send gifts, so it would help to save several delivery addresses in my "
                "account.",
                "My partner and I both use the {product}; could we have a shared family account "
                "instead of sharing one login?",
            ),
            "detail": (
                "Many other apps I use already have this.",
                "I'd be happy to test a beta version.",
                "This would save me a lot of time every week.",
            ),
            "ask": (
                "Is this on your roadmap?",
                "Any chance this could be added?",
                "Just wanted to pass on the idea.",
            ),
            "phone": (
                "Caller shared a feature request (see subject). Uses the app daily; happy to join "
                "a beta test.",
                "Customer called with product feedback and an idea for a new feature; asked "
                "whether it's planned.",
            ),
            "reply": (
                "Thank you for the suggestion! I've passed it on to our product team and added "
                "your vote to the request.",
                "Good news – this is already on our roadmap for later this year. I've added you "
                "to the list of customers we'll notify when it's released.",
            ),
            "question": (
                "Could you tell me a bit more about how you'd use it? It helps our product team "
                "prioritise.",
            ),
            "followup": (
                "Mainly at home in the evening, as I wrote.",
                "We would use it every week for our accounting.",
                "Thanks, looking forward to it!",
            ),
            "resolution": (
                "I've recorded your request with the product team. I'll close this ticket for "
                "now, but we'll e-mail you when the feature ships.",
                "This feature was released in version {version} – you'll find it in Settings. "
                "Thanks again for the idea!",
            ),
        },
        "ja": {
            "subject": (
                "機能要望:ダークモード",
                "PDF出力に対応してほしい",
                "複数の配送先を登録したい",
                "家族で共有できるアカウントの要望",
            ),
            "problem": (
                "主に夜に使うので、アプリにダークモードがあると嬉しいです。",
                "レポートをCSVだけでなくPDFでも出力できると助かります。",
                "よく贈り物をするので、配送先を複数登録できるようにしてほしいです。",
                "夫婦で{product}を使っています。1つのログインを共有するのではなく、家族アカウントを作れるようにしていただけませんか。",
            ),
            "detail": (
                "ほかのアプリではすでに対応しているものが多いです。",
                "ベータ版があればぜひ試したいです。",
                "毎週の作業がかなり楽になると思います。",
            ),
            "ask": (
                "今後の予定はありますか。",
                "ご検討いただけますと幸いです。",
                "要望としてお伝えしたくご連絡しました。",
            ),
            "phone": (
                "機能要望の入電(件名参照)。アプリを毎日利用、ベータテストにも協力可とのこと。",
                "製品へのご意見と新機能のアイデアについて入電。実装予定があるか知りたいとのこと。",
            ),
            "reply": (
                "貴重なご意見をいただきありがとうございます。製品チームに共有し、要望として登録いたしました。",
                "こちらの機能は年内の提供に向けて開発を予定しております。リリースの際にご連絡するリストに登録いたしました。",
            ),
            "question": (
                "今後の優先度検討の参考にさせていただきたく、どのような場面でご利用になりたいか詳しくお聞かせいただけますでしょうか。",
            ),
            "followup": (
                "先ほど書いたとおり、主に夜に自宅で使っています。",
                "毎週の経理作業で使いたいと考えています。",
                "ありがとうございます。楽しみにしています。",
            ),
            "resolution": (
                "ご要望を製品チームに登録いたしました。本件はいったんクローズとさせていただきますが、機能がリリースされた際にはメールでお知らせいたします。",
                "こちらの機能はバージョン{version}でリリースされました。「設定」からご利用いただけます。ご提案ありがとうございました。",
            ),
        },
        "ru": {
            "subject": (
                "Предложение: тёмная тема",
                "Добавьте экспорт в PDF",
                "Несколько адресов доставки",
                "Идея: общий семейный аккаунт",
            ),
            "problem": (
                "Очень не хватает тёмной темы в приложении – пользуюсь им в основном вечером.",
                "Было бы здорово выгружать отчёты не только в CSV, но и в PDF.",
                "Я часто отправляю подарки, удобно было бы сохранить в аккаунте несколько "
                "адресов доставки.",
                "[Мы с женой|Мы с мужем] оба пользуемся {product}. "
                "Можно ли сделать семейный аккаунт, чтобы не "
                "делить один логин?",
            ),
            "detail": (
                "Во многих других приложениях это уже есть.",
                "С удовольствием протестирую бета-версию.",
                "Это сэкономило бы мне много времени каждую неделю.",
            ),
            "ask": (
                "Это есть в ваших планах?",
                "Есть ли шанс, что это добавят?",
                "Просто хотелось поделиться идеей.",
            ),
            "phone": (
                "Клиент по телефону поделился идеей новой функции (см. тему). Пользуется "
                "приложением каждый день, готов участвовать в бета-тесте.",
                "Звонок с отзывом о продукте и предложением новой функции; спрашивает, "
                "планируется ли она.",
            ),
            "reply": (
                "Спасибо за предложение! Мы передали его команде продукта и учли ваш голос.",
                "Хорошая новость: эта функция уже в наших планах на этот год. Мы добавили вас в "
                "список клиентов, которым сообщим о релизе.",
            ),
            "question": (
                "Расскажите, пожалуйста, подробнее, как вы бы ей пользовались? Это поможет "
                "команде расставить приоритеты.",
            ),
            "followup": (
                "В основном дома по вечерам, как я и [писал|писала].",
                "Мы бы пользовались этим каждую неделю для бухгалтерии.",
                "Спасибо, будем ждать!",
            ),
            "resolution": (
                "Ваше предложение зарегистрировано у команды продукта. Пока закрываем обращение, "
                "но обязательно напишем, когда функция выйдет.",
                "Эта функция вышла в версии {version} – её можно найти в настройках. Спасибо за "
                "идею!",
            ),
        },
    },
    "api_error": {
        "en": {
            "subject": (
                "API returns {code} on {endpoint}",
                "Intermittent {code} errors from the API",
                "Webhook deliveries failing",
                "Hitting the rate limit much earlier than documented",
            ),
            "problem": (
                "Since {date}, calls to {endpoint} return HTTP {code} for about 10% of requests.",
                "Our integration started receiving {code} responses from {endpoint} this morning "
                "without any change on our side.",
                "We stopped receiving order webhooks around {date}; the dashboard shows the "
                "deliveries as failed.",
            ),
            "detail": (
                "Example request ID: {reqid}.",
                "We call the API from our servers in Frankfurt with the official Python client "
                "{version}.",
                "Retrying usually works after a few seconds.",
            ),
            "ask": (
                "Is there an ongoing incident?",
                "Could you check your logs for the request ID above?",
                "This is blocking our order processing, so an urgent look would be appreciated.",
            ),
            "phone": (
                "Customer's developer called: {endpoint} returns {code} since {date}. Request ID "
                "{reqid}. Production affected.",
                "Caller reports failing webhook deliveries since {date}; sending details by "
                "e-mail.",
            ),
            "reply": (
                "Thanks for the request ID. I can see the errors in our logs: a deployment on "
                "{date} introduced a regression in {endpoint}. Our engineers have rolled it back "
                "and the error rate is back to normal.",
                "The {code} responses come from the rate limiter – your key is on the {plan} plan "
                "limit of 60 requests per minute. I've temporarily raised the limit while you add "
                "retries with backoff.",
            ),
            "question": (
                "Could you send us a full request and response (with the API key removed) and "
                "the exact timestamps in UTC?",
                "Could you check whether your webhook endpoint responds within 10 seconds? "
                "Deliveries that take longer are marked as failed.",
            ),
            "followup": (
                "Here's a sample: request ID {reqid}, {date} 14:32 UTC.",
                "We checked – our endpoint responds in under a second.",
                "We're still seeing the errors on roughly 5% of calls.",
            ),
            "resolution": (
                "Our engineers deployed a fix for {endpoint} and we haven't seen any {code} "
                "errors since. Thank you for the detailed report!",
                "The failed webhook deliveries have been replayed, so you should now have all "
                "the missing order events.",
            ),
        },
        "ja": {
            "subject": (
                "APIの{endpoint}が{code}を返します",
                "APIで断続的に{code}エラーが発生",
                "Webhookの配信に失敗しています",
                "ドキュメントより早くレート制限に達します",
            ),
            "problem": (
                "{date}以降、{endpoint}へのリクエストの約10%でHTTP {code}が返ってきます。",
                "本日午前から、こちら側で変更をしていないにもかかわらず{endpoint}から{code}が返るようになりました。",
                "{date}ごろから注文のWebhookが届かなくなり、管理画面では配信失敗と表示されています。",
            ),
            "detail": (
                "リクエストIDの例:{reqid}",
                "東京リージョンのサーバーから公式Pythonクライアント{version}で呼び出しています。",
                "数秒後にリトライすると成功することが多いです。",
            ),
            "ask": (
                "障害が発生していますか。",
                "上記リクエストIDのログを確認していただけますか。",
                "受注処理が止まっているため、至急ご確認をお願いします。",
            ),
            "phone": (
                "お客様の開発担当者より入電。{date}から{endpoint}が{code}を返す。"
                "リクエストID {reqid}。本番環境に影響あり。",
                "{date}からWebhook配信が失敗しているとのこと。詳細はメールで送付予定。",
            ),
            "reply": (
                "リクエストIDのご提供ありがとうございます。ログを確認したところ、{date}のリリースで{endpoint}に不具合が混入しておりました。エンジニアが切り戻しを行い、現在エラー率は正常に戻っております。",
                "{code}はレート制限によるものです。お客様のAPIキーは{plan}プランの上限(毎分60リクエスト)が適用されております。バックオフ付きのリトライを実装いただくまでの間、上限を一時的に引き上げました。",
            ),
            "question": (
                "APIキーを伏せたうえで、リクエストとレスポンスの全文、およびUTCでの正確な発生時刻をお送りいただけますでしょうか。",
                "Webhookの受信エンドポイントが10秒以内に応答しているかご確認いただけますでしょうか。10秒を超えると配信失敗として扱われます。",
            ),
            "followup": (
                "例:リクエストID {reqid}、{date} 14:32 UTC です。",
                "確認しましたが、こちらのエンドポイントは1秒以内に応答しています。",
                "現在もリクエストの5%程度でエラーが発生しています。",
            ),
            "resolution": (
                "{endpoint}の修正をリリースし、以降{code}エラーは発生しておりません。詳細なご報告をいただきありがとうございました。",
                "失敗していたWebhookを再送いたしましたので、未受信だった注文イベントはすべて届いているはずです。",
            ),
        },
        "ru": {
            "subject": (
                "API возвращает {code} на {endpoint}",
                "Периодические ошибки {code} в API",
                "Не доставляются вебхуки",
                "Лимит запросов срабатывает раньше, чем указано в документации",
            ),
            "problem": (
                "С {date} около 10% запросов к {endpoint} возвращают HTTP {code}.",
                "С утра наша интеграция получает ответы {code} от {endpoint}, хотя у нас ничего "
                "не менялось.",
                "Примерно с {date} перестали приходить вебхуки о заказах, в панели доставки "
                "отмечены как неудачные.",
            ),
            "detail": (
                "Пример ID запроса: {reqid}.",
                "Вызываем API с серверов в Москве через официальный Python-клиент {version}.",
                "Повторный запрос через несколько секунд обычно проходит.",
            ),
            "ask": (
                "У вас сейчас инцидент?",
                "Проверьте, пожалуйста, логи по ID запроса выше.",
                "Это блокирует обработку заказов, просим посмотреть срочно.",
            ),
            "phone": (
                "Звонил разработчик клиента: {endpoint} возвращает {code} с {date}. ID запроса "
                "{reqid}. Затронут прод.",
                "Клиент сообщает, что с {date} не доставляются вебхуки; подробности пришлёт "
                "письмом.",
            ),
            "reply": (
                "Спасибо за ID запроса. В логах видим ошибки: релиз {date} внёс регрессию в "
                "{endpoint}. Инженеры откатили изменения, доля ошибок вернулась к норме.",
                "Ответы {code} выдаёт ограничитель запросов: для вашего ключа действует лимит "
                "тарифа {plan} – 60 запросов в минуту. Мы временно подняли лимит, пока вы "
                "добавляете повторные попытки с задержкой.",
            ),
            "question": (
                "Пришлите, пожалуйста, полный запрос и ответ (без API-ключа) и точное время в UTC.",
                "Проверьте, пожалуйста, отвечает ли ваш обработчик вебхуков быстрее чем за 10 "
                "секунд – более долгие доставки считаются неудачными.",
            ),
            "followup": (
                "Пример: ID запроса {reqid}, {date}, 14:32 UTC.",
                "Проверили – наш обработчик отвечает меньше чем за секунду.",
                "Ошибки всё ещё есть, примерно на 5% запросов.",
            ),
            "resolution": (
                "Инженеры выкатили исправление для {endpoint}, ошибок {code} с тех пор нет. "
                "Спасибо за подробное описание!",
                "Неудачные вебхуки отправлены повторно – все пропущенные события по заказам "
                "должны были прийти.",
            ),
        },
    },
    "bug_report": {
        "en": {
            "subject": (
                "CSV export is empty",
                "App crashes when opening Settings",
                "Schedules run an hour late after the clock change",
                "Notifications arrive twice",
                "Wrong totals in the monthly usage report",
            ),
            "problem": (
                "When I export my order history to CSV, the downloaded file only contains the "
                "header row.",
                "The app crashes every time I open Settings on my {device}.",
                "Since the clocks changed, all schedules on my {product} run one hour late.",
                "Every notification from the app arrives twice since version {version}.",
                "The monthly usage report shows totals that don't match the sum of the daily "
                "values.",
            ),
            "detail": (
                "I'm on version {version}, {device}.",
                "I've already reinstalled the app and restarted the device.",
                "It started after the last update.",
            ),
            "ask": (
                "Is this a known bug?",
                "Is there a workaround until it's fixed?",
                "Let me know if you need logs.",
            ),
            "phone": (
                "Customer reported by phone: problem as in the subject, on {device}, version "
                "{version}. Reinstall didn't help. Wants an e-mail when it's fixed.",
                "Caller describes the bug in the subject; started after the last update. Will "
                "send screenshots by e-mail.",
            ),
            "reply": (
                "Thank you for the detailed report – I was able to reproduce it and have filed it "
                "with our developers (reference {bugid}). I'll update you as soon as a fix is "
                "scheduled.",
                "This is a known issue in version {version}, and the fix is in the next release. "
                "As a workaround you can use the web app at app.northwind.example.",
            ),
            "question": (
                "Could you send us the diagnostic log? You'll find it under Settings → Help → "
                "Send logs.",
                "Could you tell me which app version and device you're using, and roughly when "
                "the problem last happened?",
            ),
            "followup": (
                "I've just sent the logs from the app.",
                "Version {version} on {device}. It happened again today at about 9 am.",
                "The workaround helps, thanks, but I'd appreciate a proper fix.",
            ),
            "resolution": (
                "The fix is included in version {version}, released today. After updating, the "
                "problem should be gone – let us know if you still see it.",
                "Our developers fixed the issue on the server side, so no update is needed. "
                "Thank you for your patience!",
            ),
        },
        "ja": {
            "subject": (
                "CSVエクスポートが空になる",
                "設定画面を開くとアプリが落ちる",
                "時刻変更後にスケジュールが1時間ずれる",
                "通知が2回届く",
                "月次利用レポートの合計が合わない",
            ),
            "problem": (
                "注文履歴をCSVでエクスポートすると、ダウンロードしたファイルにヘッダー行しか入っていません。",
                "{device}で設定画面を開くたびにアプリが強制終了します。",
                "時刻の切り替え以降、{product}のスケジュールがすべて1時間遅れて実行されます。",
                "バージョン{version}以降、アプリの通知がすべて2回ずつ届きます。",
                "月次利用レポートの合計値が、日別の数値を合計したものと一致しません。",
            ),
            "detail": (
                "バージョンは{version}、端末は{device}です。",
                "アプリの再インストールと端末の再起動は試しました。",
                "前回のアップデート以降に発生するようになりました。",
            ),
            "ask": (
                "既知の不具合でしょうか。",
                "修正されるまでの回避策はありますか。",
                "ログが必要でしたらお知らせください。",
            ),
            "phone": (
                "電話で不具合の報告(件名参照)。端末{device}、バージョン{version}。再インストールでも改善せず。修正時にメールでの連絡を希望。",
                "件名の不具合について入電。前回のアップデート後から発生。スクリーンショットをメールで送付予定。",
            ),
            "reply": (
                "詳しくご報告いただきありがとうございます。こちらでも再現を確認し、開発チームに報告いたしました(管理番号{bugid})。修正の予定が決まり次第ご連絡いたします。",
                "バージョン{version}の既知の不具合で、次回リリースで修正予定です。それまでの間はWeb版(app.northwind.example)をご利用ください。",
            ),
            "question": (
                "診断ログをお送りいただけますでしょうか。"
                "「設定 → ヘルプ → ログを送信」から送信いただけます。",
                "ご利用のアプリのバージョンと端末、最後に問題が発生したおおよその日時を教えていただけますでしょうか。",
            ),
            "followup": (
                "アプリからログを送信しました。",
                "バージョン{version}、{device}です。今日の午前9時ごろにも発生しました。",
                "回避策で何とか使えていますが、早めに修正していただけると助かります。",
            ),
            "resolution": (
                "本日リリースのバージョン{version}で修正いたしました。アップデート後も問題が解消しない場合はお知らせください。",
                "サーバー側で修正を行いましたので、アプリの更新は不要です。ご不便をおかけしました。",
            ),
        },
        "ru": {
            "subject": (
                "Пустой экспорт в CSV",
                "Приложение падает при открытии настроек",
                "После перевода часов расписания срабатывают на час позже",
                "Уведомления приходят дважды",
                "Неверные итоги в ежемесячном отчёте",
            ),
            "problem": (
                "При экспорте истории заказов в CSV в файле только строка заголовков.",
                "Приложение вылетает каждый раз, когда открываю настройки на {device}.",
                "После перевода часов все расписания на {product} срабатывают на час позже.",
                "С версии {version} каждое уведомление приходит дважды.",
                "Итоги в ежемесячном отчёте не совпадают с суммой ежедневных значений.",
            ),
            "detail": (
                "Версия {version}, устройство {device}.",
                "Переустановка приложения и перезагрузка не помогли.",
                "Началось после последнего обновления.",
            ),
            "ask": (
                "Это известная ошибка?",
                "Есть ли обходной путь, пока не исправят?",
                "Если нужны логи – пришлю.",
            ),
            "phone": (
                "Звонок: проблема из темы, устройство {device}, версия {version}. Переустановка не "
                "помогла. Просит сообщить письмом, когда исправят.",
                "Клиент описал ошибку из темы, началось после последнего обновления. Скриншоты "
                "пришлёт на почту.",
            ),
            "reply": (
                "Спасибо за подробное описание – нам удалось воспроизвести ошибку, она передана "
                "разработчикам (номер {bugid}). Сообщим, как только исправление будет "
                "запланировано.",
                "Это известная ошибка версии {version}, исправление войдёт в следующий релиз. "
                "Пока можно пользоваться веб-версией: app.northwind.example.",
            ),
            "question": (
                "Пришлите, пожалуйста, диагностический лог: «Настройки → Помощь → Отправить логи».",
                "Подскажите версию приложения, устройство и примерное время, когда ошибка "
                "возникла в последний раз.",
            ),
            "followup": (
                "Логи только что [отправил|отправила] из приложения.",
                "Версия {version}, {device}. Сегодня около 9 утра повторилось.",
                "Обходной путь помогает, спасибо, но хотелось бы нормального исправления.",
            ),
            "resolution": (
                "Исправление вошло в версию {version}, вышедшую сегодня. После обновления "
                "проблема должна исчезнуть – напишите, если это не так.",
                "Разработчики исправили ошибку на стороне сервера, обновлять приложение не "
                "нужно. Спасибо за терпение!",
            ),
        },
    },
}

# Internal notes, per topic. English for everybody; agents also write in their own language.
NOTES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "refund": (
            "Checked the warehouse system: return for {order} received on {date}. Refund issued "
            "in Stripe, ref {refno}.",
            "Return not scanned yet – asked the warehouse to check the inbound pallet from "
            "{carrier}.",
            "Outside the 30-day window; approved as a goodwill refund.",
        ),
        "double_charge": (
            "Checked Stripe: charge captured twice, refund issued for the duplicate ({refno}).",
            "Second charge is only an auth hold – drops off automatically, no refund needed.",
            "Duplicate caused by the checkout retry bug, linked to {bugid}.",
        ),
        "invoice": (
            "Invoice {invoice} regenerated with the company details from the billing profile.",
            "Customer needs the VAT number on invoices – updated the billing profile.",
            "Asked finance to re-issue {invoice}; they need 1–2 business days.",
        ),
        "cancellation": (
            "Offered the 20% retention discount – declined. Cancelled at period end.",
            "Renewal within 14 days – full refund approved, ref {refno}.",
            "Account owner verified (reply from the registered address). Cancellation done.",
        ),
        "password_reset": (
            "Mail logs: reset e-mails delivered, rejected by the recipient's spam filter.",
            "Account locked after 10 failed attempts; unlocked manually.",
            "Identity verified via last order {order} before sending a new link.",
        ),
        "login_2fa": (
            "ID check passed (order {order}, card ending {last4}). 2FA reset done.",
            "Known issue: login loop in {version}, tracked in {bugid}. Fix ships in the next "
            "release.",
            "No backup codes – started manual identity verification.",
        ),
        "shipping_delay": (
            "{carrier} tracking {tracking}: stuck at the regional hub since {date}. Opened a trace "
            "with the carrier.",
            "Carrier confirmed the parcel is lost. Reshipped express, shipping fee refunded.",
            "Address on the order has no apartment number – likely why delivery failed.",
        ),
        "damaged_item": (
            "Photos confirm transit damage. Filed a claim with {carrier}, replacement sent.",
            "Third damaged {product} this week from the same batch – flagged to QA.",
            "No return needed for the damaged unit (value under threshold).",
        ),
        "account_change": (
            "Verified identity via last order {order} before changing the e-mail address.",
            "Merged the duplicate account into the main one; order history moved.",
            "Ownership transfer needs confirmation from the new owner – waiting.",
        ),
        "feature_request": (
            "Added +1 to the feature request on the product board.",
            "Already on the roadmap – don't promise a date.",
            "Customer is willing to join the beta; added to the beta testers list.",
        ),
        "api_error": (
            "Request {reqid}: {code} from {endpoint} caused by the deployment on {date}; rolled "
            "back by on-call.",
            "Customer hitting the rate limit on the {plan} plan; raised to 120 rpm for 7 days.",
            "Their webhook endpoint times out after 10 s – not our bug, replied with details.",
        ),
        "bug_report": (
            "Reproduced on staging, filed as {bugid}.",
            "Duplicate of {bugid}; fix scheduled for {version}.",
            "Could not reproduce. Asked the customer for diagnostic logs.",
        ),
        "_any": (
            "Customer sounded frustrated on the phone – please keep them updated daily.",
            "Key account, please prioritise.",
            "Called the customer back, no answer. Will try again tomorrow.",
            "Checked the order history: no previous issues with this customer.",
        ),
        "_hold": (
            "On hold: waiting for {carrier} to complete the investigation.",
            "On hold until engineering ships the fix ({bugid}).",
            "On hold: waiting for finance to confirm.",
            "Parked until the customer's IT team gets back to us.",
        ),
    },
    "ja": {
        "refund": (
            "倉庫システムで注文{order}の返品受領を確認({date})。Stripeで返金済み、参照{refno}。",
        ),
        "double_charge": ("Stripe確認:二重で売上確定していたため重複分を返金({refno})。",),
        "invoice": ("請求書{invoice}を会社情報入りで再発行。",),
        "cancellation": ("引き止め割引を案内したが辞退。期間満了で解約処理済み。",),
        "password_reset": ("メールログ上は送信済み。受信側の迷惑メールフィルタで拒否されている。",),
        "login_2fa": ("本人確認OK(注文{order}、カード末尾{last4})。二段階認証リセット済み。",),
        "shipping_delay": ("{carrier}追跡{tracking}:{date}から地域センターで滞留。調査依頼済み。",),
        "damaged_item": ("写真で輸送中の破損を確認。{carrier}へ補償申請、交換品発送済み。",),
        "account_change": ("メールアドレス変更前に直近注文{order}で本人確認済み。",),
        "feature_request": ("プロダクトボードの要望に+1しました。",),
        "api_error": (
            "リクエスト{reqid}:{date}のデプロイが原因で{endpoint}が{code}。オンコールが切り戻し済み。",
        ),
        "bug_report": ("ステージングで再現、{bugid}として起票。",),
        "_any": (
            "お電話ではかなりお困りの様子でした。こまめに状況をお伝えください。",
            "折り返し電話しましたが不在。明日再度かけます。",
        ),
        "_hold": ("{carrier}の調査結果待ちのため保留。", "開発の修正({bugid})待ちで保留。"),
    },
    "ru": {
        "refund": ("На складе возврат по {order} принят {date}. Возврат в Stripe, ref {refno}.",),
        "double_charge": ("Проверил[|а] Stripe: платёж списан дважды, дубль возвращён ({refno}).",),
        "invoice": ("Счёт {invoice} перевыставлен с реквизитами компании.",),
        "cancellation": ("Предложили скидку 20% – отказ. Отменено с конца периода.",),
        "password_reset": ("По логам письма ушли, их отклоняет спам-фильтр получателя.",),
        "login_2fa": ("Личность подтверждена (заказ {order}, карта *{last4}). 2FA сброшена.",),
        "shipping_delay": (
            "{carrier}, трек {tracking}: застрял на сортировке с {date}. Запросили розыск.",
        ),
        "damaged_item": (
            "По фото – повреждение при перевозке. Претензия в {carrier}, замена ушла.",
        ),
        "account_change": ("Перед сменой e-mail личность подтверждена по заказу {order}.",),
        "feature_request": ("Добавил[|а] +1 к запросу на продуктовой доске.",),
        "api_error": (
            "Запрос {reqid}: {code} на {endpoint} из-за релиза {date}, дежурный откатил.",
        ),
        "bug_report": ("Воспроизвёл[|а] на стейдже, заведено {bugid}.",),
        "_any": (
            "Клиент по телефону был очень недоволен – держите его в курсе каждый день.",
            "Перезвонил[|а], не ответили. Попробую завтра.",
        ),
        "_hold": (
            "Ждём результат розыска от {carrier}.",
            "Ждём исправления от разработки ({bugid}).",
        ),
    },
}

# Reasons for moving a ticket between departments: (from, to) -> reasons.
REASSIGN_REASONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Support", "Billing"): (
        "Billing question, not a general support issue",
        "Refund needs Billing approval",
        "Payment issue – Billing owns this",
    ),
    ("Technical", "Billing"): (
        "Billing question, not technical",
        "Charge dispute, nothing to debug",
    ),
    ("Support", "Technical"): (
        "Looks like a bug – needs Technical",
        "API question, moving to Technical",
        "Needs log analysis by Technical",
    ),
    ("Billing", "Technical"): (
        "Not a billing issue: the API is failing",
        "Technical problem, no payment involved",
    ),
    ("Billing", "Support"): (
        "Delivery question, not billing",
        "Account question – Support handles this",
    ),
    ("Technical", "Support"): (
        "Not a bug: how-to question",
        "Account access issue, Support handles it",
        "Delivery question, not technical",
    ),
}
ASSIGN_REASONS: tuple[str, ...] = (
    "Shift handover",
    "Rebalancing the queue",
    "Out of office this week",
    "Speaks the customer's language",
    "Needs a specialist",
)
PRIORITY_REASONS: tuple[str, ...] = (
    "Customer cannot work at all",
    "Several users affected",
    "Key account",
    "Second follow-up from the customer",
    "Payment blocked",
    "Production down",
)
CLOSE_REASON = "Closed automatically 4 days after being solved"
