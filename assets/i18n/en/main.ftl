lang-switch-name = English
skip-to-content = Skip to content
nav-label = Main menu
nav-home = Home
nav-lookup = Who called me?
nav-clients = Clients
nav-reservation = Opt out
nav-complaint = Complaint
nav-privacy = Privacy
footer-org = Org. no.
footer-contact = Contact us
footer-norm = We follow the industry norm for approved call centres. Every inquiry is answered within 24 hours.
optional = optional

home-title = Home
home-heading = Were you called by { $centre }?
home-intro = { $centre } calls on behalf of other companies (our clients). Here you can see who called you and why, opt out of further calls, and complain.
home-reserve-heading = Don't want to be called?
home-reserve-text = Register your number in our internal do-not-call register. It applies to all our clients.
home-reserve-link = Opt out
home-complain-heading = Want to complain?
home-complain-text = Write to us. You will get a personal answer within 24 hours.
home-complain-link = Send a complaint
home-clients-heading = Who do we call for?
home-clients-text = See all our clients, what we call about and which numbers we call from.
home-clients-link = See clients

lookup-heading = Who called me?
lookup-title = Who called me?
lookup-intro = Enter the number that called you, and we will tell you who called, on whose behalf, and what the call was about.
lookup-label = The phone number that called you
lookup-hint = For example 21 00 00 10 or +47 21 00 00 10.
lookup-submit = Find out who called
lookup-hit-heading = { $number } is one of our numbers
lookup-who = Who called
lookup-client = On behalf of
lookup-about = What the call was about
lookup-hit-next = If you do not want to be called again, you can opt out. If you want to complain, we answer within 24 hours.
lookup-reserve-link = Opt me out of further calls
lookup-complain-link = Complain about the call
lookup-miss-heading = { $number } is not one of our numbers
lookup-miss-text = The number is not used by { $centre }. Unfortunately we cannot tell who owns it.

phone-error-empty = Enter a phone number.
phone-error-not-a-number = This does not look like a phone number. Use only digits, spaces and an optional + in front.
phone-error-invalid = This is not a valid phone number. Check that you have all the digits (Norwegian numbers have 8).

clients-title = Our clients
clients-intro = { $centre } calls on behalf of these companies. For each campaign you can see what the call is about, when we call, and which numbers we call from.
clients-none = We have no active clients right now.
clients-org = Org. no.
campaign-purpose = What we call about
campaign-kind = Kind
campaign-period = Period
campaign-numbers = We call from
campaign-no-numbers = No numbers in use now.
period-open-ended = from { $from }
kind-sales = Sales
kind-fundraising = Fundraising
kind-survey = Survey
kind-customer_service = Customer service

reservation-title = Opting out of telemarketing
reservation-intro = You decide whether you want to be called. Here are the rules, and here you can opt out with us.
reservation-rules-heading = How opting out works
reservation-national-heading = The national register in Brønnøysund
reservation-national-text = In the national Reservation Register (Reservasjonsregisteret) you can opt out of telemarketing and addressed advertising from all businesses. We wash every call list against it. It does not cover companies you are already a customer of, nor fundraising or surveys.
reservation-national-link = Go to the Reservation Register (brreg.no)
reservation-client-heading = The client's own register
reservation-client-text = If you are a customer of one of our clients, you can ask them not to call you. We respect their do-not-call list.
reservation-internal-heading = { $centre }'s internal do-not-call register
reservation-internal-text = If you register your number here, we will not call you again, whichever client we call for, even if you are their customer. It applies from the next call list.
reservation-hours-heading = When we call
reservation-hours-text = We only call on weekdays between { $opens }:00 and { $closes }:00, never on Saturdays, Sundays or public holidays.
reservation-hours-now-holiday = Today is a public holiday ({ $holiday }), so we call no one today.
reservation-hours-now-closed = Right now is outside calling hours, so we call no one now.
reservation-form-heading = Opt out with us
reservation-label = Your phone number
reservation-hint = The number we must not call, for example 912 34 567.
reservation-submit = Opt out this number
reservation-receipt-title = You have opted out
reservation-receipt-text = The number { $number } is in our internal do-not-call register.
reservation-receipt-scope = We will not call you again on this number, for any of our clients. A call already planned for today may still happen.
reservation-receipt-national = If you also want to avoid telemarketing from others, you can register in the national register.

complaint-title = Send us a complaint
complaint-intro = Tell us what happened. We will answer you personally within 24 hours.
complaint-contact-legend = How can we answer you?
complaint-contact-hint = Give a phone number or an e-mail address, or both.
complaint-name = Name
complaint-phone = Phone number
complaint-email = E-mail address
complaint-number = The number that called you
complaint-number-hint = If you know it. It helps us find the call faster.
complaint-category = What is the complaint about?
complaint-message = What would you like to tell us?
complaint-privacy-note = We use these details only to handle your complaint.
complaint-submit = Send the complaint
complaint-error-contact = Give a phone number or an e-mail address so we can answer you.
complaint-error-email = This is not a valid e-mail address. It should look like: name@example.com
complaint-error-message-empty = Write what the complaint is about.
complaint-error-message-long = The message is too long. It can be at most 5000 characters.
complaint-error-name-long = The name is too long.
form-error-summary = Please correct the following before we can accept the form
category-unwanted_call = I do not want to be called
category-reserved_but_called = I opted out but was called anyway
category-who_called = I do not know why I was called
category-caller_conduct = How the caller behaved
category-privacy = Privacy and my personal data
category-other = Other
complaint-receipt-title = Thank you, we have received your complaint
complaint-receipt-text = Keep the reference number if you want to contact us about it.
complaint-receipt-reference = Reference
complaint-receipt-received = Received
complaint-receipt-deadline = You will get an answer by
complaint-receipt-promise = One of us will read your complaint and answer you personally.
complaint-receipt-email = A confirmation will be sent to your e-mail address.
receipt-mail-subject = We have received your inquiry [{ $reference }]
receipt-mail-body =
    Hello,

    thank you for contacting us. We have received your inquiry with reference { $reference }.

    You will get a personal answer by { $deadline } (Norwegian time).

    Kind regards
    customer service

privacy-title = Privacy
privacy-intro = How { $centre } handles information about you when you contact us.
privacy-what-heading = What we store, why, and for how long
privacy-table-caption = How long information is kept
privacy-col-what = Information
privacy-col-why = Why
privacy-col-how-long = How long
privacy-dialogue = Written dialogue (complaints, e-mail, SMS)
privacy-dialogue-why = To answer you and to document that we follow the industry norm.
privacy-dialogue-how-long = At least 6 months after the case is closed, then deleted.
privacy-recordings = Voice messages you leave
privacy-recordings-why = To answer your message. We always tell you before recording.
privacy-recordings-how-long = 90 days, or at once when you withdraw consent.
privacy-reservations = Opt-outs
privacy-reservations-why = So that we never call you again.
privacy-reservations-how-long = Until you ask us to remove it.
privacy-statistics = Statistics
privacy-statistics-why = The industry norm requires daily statistics per campaign.
privacy-statistics-how-long = 12 months, without personal data.
privacy-rights-heading = Your rights
privacy-right-access = You can ask to see everything we hold about you, including recordings of you.
privacy-right-erasure = You can ask us to delete your data, except what the law requires us to keep.
privacy-right-object = You can object to the processing and opt out of further calls.
privacy-right-complain = You can complain to the Norwegian Data Protection Authority (Datatilsynet).
privacy-contact = Write to us about privacy:

error-reference = Error reference
error-back-home = Back to the home page
error-notfound-title = Page not found
error-notfound-body = We could not find the page you were looking for. Check the address, or go to the home page.
error-forbidden-title = No access
error-forbidden-body = You do not have access to this page.
error-csrf-title = The form has expired
error-csrf-body = For security reasons we could not accept the form. Go back, reload the page and try again. Nothing was saved.
error-ratelimit-title = Too many attempts
error-ratelimit-body = You have sent many requests in a short time. Please wait a moment and try again.
error-badrequest-title = Something was wrong with the request
error-badrequest-body = We did not understand the request. Go back and try again.
error-internal-title = Something went wrong on our side
error-internal-body = Sorry, an error occurred. Please try again shortly. Quote the error reference if you contact us.
error-invalid-title = Some of what was sent is not right
error-invalid-body = Go back, correct the marked fields and try again.
error-conflict-title = That cannot be done now

# search (issue 7)
clients-filter-label = Search our clients
clients-filter-hint = Name, campaign, purpose or the number that called.
clients-filter-submit = Search
clients-filter-clear = Show all
clients-no-match = No matches. Try another word, or show all clients.
search-degraded = Search is degraded right now: we search the list directly, without correcting misspellings.
