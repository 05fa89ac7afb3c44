"""The demo team's template library: the answers a small support team sends every day, in
English, Japanese and Russian, written the way each language writes to customers."""

from __future__ import annotations

from typing import Any

from desk_app.core.after_hours import HELP_CENTRE_URL
from desk_app.store import Database
from desk_app.store.template_store import COMPANY_NAME, TemplateStore

DEMO_COMPANY = "Northwind Goods"
DEMO_HELP_CENTRE = "https://help.northwind.example"

_SIGN_EN = "{{ agent.signature | default(agent.name) }}"
_SIGN_JA = "{{ company.name }} カスタマーサポート\n{{ agent.signature | default(agent.name) }}"
_SIGN_RU = "С уважением,\n{{ agent.signature | default(agent.name) }}"

_HELLO_EN = "Hello {{ customer.first_name | default('there') }},"
_HELLO_JA = (
    "{{ customer.name | default('お客') }}様\n\n"
    "いつも{{ company.name }}をご利用いただき、ありがとうございます。"
)
# The self-service link of the after-hours acknowledgement (team setting help_centre_url);
# the worker fills it in, and without the setting the sentence is left out.
_IF_HELP = "{% if after_hours is defined and after_hours.help_centre %}"
_HELP_EN = (
    _IF_HELP + "\nMany questions are answered in our help centre: "
    "{{ after_hours.help_centre }}\n{% endif %}"
)
_HELP_JA = (
    _IF_HELP + "\nよくあるご質問はヘルプセンターをご覧ください: "
    "{{ after_hours.help_centre }}\n{% endif %}"
)
_HELP_RU = (
    _IF_HELP + "\nОтветы на многие вопросы есть в справочном центре: "
    "{{ after_hours.help_centre }}\n{% endif %}"
)
_HELLO_RU = "Здравствуйте{{ (', ' ~ customer.first_name) if customer.first_name else '' }}!"


def _t(
    title: str, shortcut: str, language: str, tags: str, body: str, subject: str | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "title": title,
        "shortcut": shortcut,
        "language": language,
        "tags": tags.split(),
        "scope": "everyone",
        "body": body,
    }
    if subject:
        item["subject"] = subject
    return item


DEMO_TEMPLATES: list[dict[str, Any]] = [
    # --- English -------------------------------------------------------------------------------
    _t(
        "Acknowledgement",
        "ack",
        "en",
        "acknowledge received",
        f"{_HELLO_EN}\n\nThank you for contacting {{{{ company.name }}}}. We have received your "
        "request (ticket #{{ ticket.number }}) and will reply {{ sla.expected_response | "
        "default('as soon as we can') }}.\n\nBest regards,\n" + _SIGN_EN,
        "[#{{ ticket.number }}] {{ ticket.subject }}",
    ),
    _t(
        "Refund issued",
        "refund",
        "en",
        "refund billing money",
        f"{_HELLO_EN}\n\nWe have issued a refund of {{{{ input.amount }}}} for order "
        "{{ input.order_number }}. It usually reaches your account within 5-10 business days, "
        "depending on your bank.\n\nIf it has not arrived by then, just reply to this e-mail "
        "and we will look into it.\n\nBest regards,\n" + _SIGN_EN,
    ),
    _t(
        "Password reset",
        "reset",
        "en",
        "password login account",
        f"{_HELLO_EN}\n\nYou can set a new password here: https://example.com/reset\n\nThe link "
        "is valid for 24 hours. If the e-mail with the code does not arrive, please check your "
        "spam folder, then reply to this message.\n\nBest regards,\n" + _SIGN_EN,
    ),
    _t(
        "Shipping delay",
        "delay",
        "en",
        "shipping delivery delay order",
        f"{_HELLO_EN}\n\nI am sorry that order {{{{ input.order_number }}}} is taking longer than "
        "promised. The carrier now expects to deliver it by {{ input.new_date }}. You can follow "
        "the parcel with tracking number {{ input.tracking_number }}.\n\nIf it has not arrived "
        "by then, we will send a replacement or refund it, whichever you prefer.\n\n"
        "Best regards,\n" + _SIGN_EN,
    ),
    _t(
        "After-hours acknowledgement",
        "afterhours",
        "en",
        "acknowledge after-hours night weekend",
        f"{_HELLO_EN}\n\nThank you for your message: we have received it. Our team is away "
        "right now; a member of the {{ ticket.department | default('support') }} team will "
        "answer {{ sla.expected_response | default('on the next business day') }}.\n\n"
        "There is no need to write again or to quote a number: just reply to this e-mail if "
        "you want to add anything.\n" + _HELP_EN + "\nBest regards,\n{{ company.name }}",
    ),
    _t(
        "Follow-up",
        "followup",
        "en",
        "follow-up pending check-in",
        f"{_HELLO_EN}\n\nI wanted to check whether our last reply solved the problem with "
        '"{{ ticket.subject }}". If anything is still not working, just reply and I will '
        "pick it up.\n\nBest regards,\n" + _SIGN_EN,
    ),
    _t(
        "Closing",
        "close",
        "en",
        "closing solved thanks",
        f"{_HELLO_EN}\n\nI'm glad we could sort this out. I will mark ticket #{{{{ ticket.number "
        "}} as solved; if you write back, it opens again automatically.\n\nThank you for "
        "choosing {{ company.name }}.\n\n" + _SIGN_EN,
    ),
    # --- Japanese ------------------------------------------------------------------------------
    _t(
        "受付のご連絡",
        "ack-ja",
        "ja",
        "acknowledge received 受付",
        f"{_HELLO_JA}\n\nお問い合わせを受け付けました(受付番号: {{{{ ticket.number }}}})。"
        "{{ sla.expected_response | default('できるだけ早く') }}担当者よりご連絡いたします。"
        "\n\n今しばらくお待ちくださいますよう、お願い申し上げます。\n\n" + _SIGN_JA,
        "【受付番号 {{ ticket.number }}】{{ ticket.subject }}",
    ),
    _t(
        "返金のご案内",
        "refund-ja",
        "ja",
        "refund billing 返金",
        f"{_HELLO_JA}\n\nご注文番号 {{{{ input.order_number }}}} につきまして、"
        "{{ input.amount }}の返金手続きを完了いたしました。"
        "ご返金の反映まで、通常5〜10営業日ほどかかります。\n\n"
        "ご不便をおかけし、誠に申し訳ございませんでした。\n\n" + _SIGN_JA,
    ),
    _t(
        "パスワード再設定のご案内",
        "reset-ja",
        "ja",
        "password login account パスワード",
        f"{_HELLO_JA}\n\n下記のページより、新しいパスワードを設定してください。\n"
        "https://example.com/reset\n\nリンクの有効期限は24時間です。"
        "メールが届かない場合は、迷惑メールフォルダもご確認ください。\n\n" + _SIGN_JA,
    ),
    _t(
        "配送遅延のお詫び",
        "delay-ja",
        "ja",
        "shipping delivery delay 配送",
        f"{_HELLO_JA}\n\nご注文番号 {{{{ input.order_number }}}} の商品のお届けが遅れており、"
        "誠に申し訳ございません。配送業者によると、{{ input.new_date }}までにお届けの予定です。"
        "\n追跡番号: {{ input.tracking_number }}\n\n" + _SIGN_JA,
    ),
    _t(
        "営業時間外の受付",
        "afterhours-ja",
        "ja",
        "acknowledge after-hours 時間外",
        f"{_HELLO_JA}\n\nお問い合わせを受け付けました。ただいま営業時間外のため、"
        "{{ sla.expected_response | default('翌営業日に') }}担当者よりご回答いたします。"
        "\n追加のご連絡は、このメールにご返信いただくだけで結構です"
        "（受付番号の記載は不要です）。\n" + _HELP_JA + "\n{{ company.name }} カスタマーサポート",
    ),
    _t(
        "その後のご確認",
        "followup-ja",
        "ja",
        "follow-up pending 確認",
        f"{_HELLO_JA}\n\n先日ご案内いたしました「{{{{ ticket.subject }}}}」の件、"
        "その後問題は解決いたしましたでしょうか。"
        "ご不明な点がございましたら、このメールにご返信ください。\n\n" + _SIGN_JA,
    ),
    _t(
        "クローズのご連絡",
        "close-ja",
        "ja",
        "closing solved 完了",
        f"{_HELLO_JA}\n\n本件は解決済みとさせていただきます。"
        "このメールにご返信いただければ、引き続き対応いたします。"
        "\n\nこの度はお問い合わせいただき、誠にありがとうございました。\n\n" + _SIGN_JA,
    ),
    # --- Russian -------------------------------------------------------------------------------
    _t(
        "Подтверждение получения",
        "ack-ru",
        "ru",
        "acknowledge received получено",
        f"{_HELLO_RU}\n\nСпасибо, что обратились в {{{{ company.name }}}}. Мы получили ваше "
        "обращение (номер {{ ticket.number }}) и ответим {{ sla.expected_response | "
        "default('как можно скорее') }}.\n\n" + _SIGN_RU,
        "[№{{ ticket.number }}] {{ ticket.subject }}",
    ),
    _t(
        "Возврат средств",
        "refund-ru",
        "ru",
        "refund billing возврат",
        f"{_HELLO_RU}\n\nМы оформили возврат {{{{ input.amount }}}} по заказу "
        "{{ input.order_number }}. Обычно деньги поступают на счёт в течение 5–10 рабочих "
        "дней, в зависимости от банка.\n\n" + _SIGN_RU,
    ),
    _t(
        "Сброс пароля",
        "reset-ru",
        "ru",
        "password login account пароль",
        f"{_HELLO_RU}\n\nЗадать новый пароль можно по ссылке: https://example.com/reset\n\n"
        "Ссылка действует 24 часа. Если письмо с кодом не пришло, проверьте папку «Спам».\n\n"
        + _SIGN_RU,
    ),
    _t(
        "Задержка доставки",
        "delay-ru",
        "ru",
        "shipping delivery delay доставка",
        f"{_HELLO_RU}\n\nПриносим извинения: заказ {{{{ input.order_number }}}} задерживается. "
        "Служба доставки обещает доставить его до {{ input.new_date }}. Трек-номер: "
        "{{ input.tracking_number }}.\n\n" + _SIGN_RU,
    ),
    _t(
        "Ответ в нерабочее время",
        "afterhours-ru",
        "ru",
        "acknowledge after-hours нерабочее",
        f"{_HELLO_RU}\n\nМы получили ваше сообщение. Сейчас нерабочее время; специалист "
        "ответит вам {{ sla.expected_response | default('в следующий рабочий день') }}.\n\n"
        "Писать ещё раз или указывать номер обращения не нужно: если хотите что-то добавить, "
        "просто ответьте на это письмо.\n" + _HELP_RU + "\n{{ company.name }}",
    ),
    _t(
        "Уточнение после ответа",
        "followup-ru",
        "ru",
        "follow-up pending уточнение",
        f"{_HELLO_RU}\n\nХотим уточнить, удалось ли решить вопрос «{{{{ ticket.subject }}}}». "
        "Если что-то всё ещё не работает, просто ответьте на это письмо.\n\n" + _SIGN_RU,
    ),
    _t(
        "Закрытие обращения",
        "close-ru",
        "ru",
        "closing solved закрыто",
        f"{_HELLO_RU}\n\nРады, что вопрос решён. Мы закрываем обращение {{{{ ticket.number }}}}; "
        "если вы ответите на это письмо, оно откроется снова.\n\nСпасибо, что выбрали "
        "{{ company.name }}.\n\n" + _SIGN_RU,
    ),
]


def install_demo_templates(db: Database, agents: list[tuple[str, str]]) -> dict[str, int]:
    """The library, the company name and a signature for each (name, email) demo agent.
    Running it again changes nothing (templates are matched by shortcut)."""
    store = TemplateStore(db, None)
    store.set_team_setting(COMPANY_NAME, DEMO_COMPANY)
    store.set_team_setting(HELP_CENTRE_URL, DEMO_HELP_CENTRE)
    for name, email in agents:
        store.set_signature(f"{name}\n{DEMO_COMPANY} support", email)
        # The Japanese templates name the company themselves (_SIGN_JA); a Russian answer
        # ends in Russian, not in "Northwind support".
        store.set_signature(name, email, language="ja")
        store.set_signature(f"{name}\nСлужба поддержки {DEMO_COMPANY}", email, language="ru")
    return store.import_library({"templates": DEMO_TEMPLATES})


def guess_customer_languages(db: Database) -> int:
    """Demo customers arrive without a language; read it off their first ticket's subject (kana
    or kanji: Japanese, Cyrillic: Russian, else English), so the picker prefers their language."""
    from sqlalchemy import func, select

    from desk_app.store.models import Customer, Ticket

    changed = 0
    with db.write() as session:
        first_subjects = (
            select(Ticket.customer_id, func.min(Ticket.subject).label("subject"))
            .group_by(Ticket.customer_id)
            .subquery()
        )
        rows = session.execute(
            select(Customer, first_subjects.c.subject)
            .join(first_subjects, first_subjects.c.customer_id == Customer.id)
            .where(Customer.language.is_(None))
        ).all()
        for customer, subject in rows:
            customer.language = _script_language(subject or "")
            changed += 1
    return changed


def _script_language(text: str) -> str:
    if any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text):
        return "ja"
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return "ru"
    return "en"
