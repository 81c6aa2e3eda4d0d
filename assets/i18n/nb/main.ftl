lang-switch-name = Norsk (bokmål)
skip-to-content = Gå til innholdet
nav-label = Hovedmeny
nav-home = Forside
nav-lookup = Hvem ringte meg?
nav-clients = Oppdragsgivere
nav-reservation = Reservasjon
nav-complaint = Klage
nav-privacy = Personvern
footer-org = Org.nr.
footer-contact = Kontakt oss
footer-norm = Vi følger bransjenormen for godkjente callsentre. Alle henvendelser besvares innen 24 timer.
optional = valgfritt

home-title = Forside
home-heading = Ble du ringt av { $centre }?
home-intro = { $centre } ringer på vegne av andre virksomheter (oppdragsgivere). Her kan du se hvem som ringte deg og hvorfor, reservere deg mot flere anrop, og klage.
home-reserve-heading = Vil du ikke bli ringt?
home-reserve-text = Registrer nummeret ditt i vårt interne reservasjonsregister. Det gjelder for alle oppdragsgiverne våre.
home-reserve-link = Reserver deg
home-complain-heading = Vil du klage?
home-complain-text = Skriv til oss. Du får et personlig svar innen 24 timer.
home-complain-link = Send en klage
home-clients-heading = Hvem ringer vi for?
home-clients-text = Se alle oppdragsgivere, hva vi ringer om og hvilke numre vi ringer fra.
home-clients-link = Se oppdragsgivere

lookup-heading = Hvem ringte meg?
lookup-title = Hvem ringte meg?
lookup-intro = Skriv inn nummeret som ringte deg, så forteller vi hvem som ringte, på vegne av hvem, og hva samtalen gjaldt.
lookup-label = Telefonnummeret som ringte deg
lookup-hint = For eksempel 21 00 00 10 eller +47 21 00 00 10.
lookup-submit = Finn ut hvem som ringte
lookup-hit-heading = { $number } er et av våre numre
lookup-who = Hvem ringte
lookup-client = På vegne av
lookup-about = Hva samtalen gjaldt
lookup-hit-next = Vil du ikke bli ringt igjen, kan du reservere deg. Har du en klage, svarer vi innen 24 timer.
lookup-reserve-link = Reserver meg mot flere anrop
lookup-complain-link = Klag på anropet
lookup-miss-heading = { $number } er ikke et av våre numre
lookup-miss-text = Nummeret er ikke brukt av { $centre }. Vi kan dessverre ikke si hvem som eier det.

phone-error-empty = Skriv inn et telefonnummer.
phone-error-not-a-number = Dette ser ikke ut som et telefonnummer. Bruk bare siffer, mellomrom og eventuelt + foran.
phone-error-invalid = Dette er ikke et gyldig telefonnummer. Sjekk at du har fått med alle sifrene (norske numre har 8 siffer).

clients-title = Våre oppdragsgivere
clients-intro = { $centre } ringer på vegne av disse virksomhetene. For hver kampanje ser du hva samtalen gjelder, når vi ringer, og hvilke numre vi ringer fra.
clients-none = Vi har ingen aktive oppdragsgivere akkurat nå.
clients-org = Org.nr.
campaign-purpose = Hva vi ringer om
campaign-kind = Type
campaign-period = Periode
campaign-numbers = Vi ringer fra
campaign-no-numbers = Ingen numre i bruk nå.
period-open-ended = fra { $from }
kind-sales = Salg
kind-fundraising = Innsamling
kind-survey = Spørreundersøkelse
kind-customer_service = Kundeservice

reservation-title = Reservasjon mot telefonsalg
reservation-intro = Du bestemmer selv om du vil bli ringt. Her er reglene, og her kan du reservere deg hos oss.
reservation-rules-heading = Slik fungerer reservasjon
reservation-national-heading = Reservasjonsregisteret i Brønnøysund
reservation-national-text = I det nasjonale Reservasjonsregisteret kan du reservere deg mot telefonsalg og adressert reklame fra alle næringsdrivende. Vi vasker alle ringelister mot registeret. Registeret gjelder ikke virksomheter du allerede er kunde hos, og heller ikke innsamling eller spørreundersøkelser.
reservation-national-link = Gå til Reservasjonsregisteret (brreg.no)
reservation-client-heading = Oppdragsgiverens eget register
reservation-client-text = Er du kunde hos en av oppdragsgiverne våre, kan du be dem om ikke å ringe deg. Vi respekterer deres reservasjonsliste.
reservation-internal-heading = Internt reservasjonsregister hos { $centre }
reservation-internal-text = Registrerer du nummeret ditt her, ringer vi deg ikke igjen, uansett hvilken oppdragsgiver vi ringer for, også om du er kunde hos dem. Reservasjonen gjelder fra neste ringeliste.
reservation-hours-heading = Når vi ringer
reservation-hours-text = Vi ringer bare på hverdager mellom kl. { $opens } og { $closes }, aldri på lørdager, søndager eller helligdager.
reservation-hours-now-holiday = I dag er det helligdag ({ $holiday }), så i dag ringer vi ingen.
reservation-hours-now-closed = Akkurat nå er det utenfor ringetiden, så nå ringer vi ingen.
reservation-form-heading = Reserver deg hos oss
reservation-label = Telefonnummeret ditt
reservation-hint = Nummeret vi ikke skal ringe, for eksempel 912 34 567.
reservation-submit = Reserver nummeret
reservation-receipt-title = Du er reservert
reservation-receipt-text = Nummeret { $number } står i vårt interne reservasjonsregister.
reservation-receipt-scope = Vi ringer deg ikke igjen på dette nummeret, for noen av oppdragsgiverne våre. Har du fått oppringing før reservasjonen, kan en allerede planlagt samtale skje samme dag.
reservation-receipt-national = Vil du også slippe telefonsalg fra andre, kan du reservere deg i det nasjonale registeret.

complaint-title = Send oss en klage
complaint-intro = Fortell oss hva som skjedde. Vi svarer deg personlig innen 24 timer.
complaint-contact-legend = Hvordan kan vi svare deg?
complaint-contact-hint = Oppgi telefonnummer eller e-postadresse, eller begge.
complaint-name = Navn
complaint-phone = Telefonnummer
complaint-email = E-postadresse
complaint-number = Nummeret som ringte deg
complaint-number-hint = Hvis du vet det. Da finner vi raskere ut hvilken samtale det gjelder.
complaint-category = Hva gjelder klagen?
complaint-message = Hva vil du fortelle oss?
complaint-privacy-note = Vi bruker opplysningene bare til å behandle klagen din.
complaint-submit = Send klagen
complaint-error-contact = Oppgi telefonnummer eller e-postadresse, så vi kan svare deg.
complaint-error-email = Dette er ikke en gyldig e-postadresse. Den skal se slik ut: navn@eksempel.no
complaint-error-message-empty = Skriv hva klagen gjelder.
complaint-error-message-long = Meldingen er for lang. Den kan være på høyst 5000 tegn.
complaint-error-name-long = Navnet er for langt.
form-error-summary = Noe må rettes før vi kan ta imot skjemaet
category-unwanted_call = Jeg vil ikke bli ringt
category-reserved_but_called = Jeg er reservert, men ble ringt likevel
category-who_called = Jeg vet ikke hvorfor jeg ble ringt
category-caller_conduct = Oppførselen til den som ringte
category-privacy = Personvern og mine opplysninger
category-other = Annet
complaint-receipt-title = Takk, vi har mottatt klagen din
complaint-receipt-text = Ta vare på referansenummeret hvis du vil kontakte oss om saken.
complaint-receipt-reference = Referanse
complaint-receipt-received = Mottatt
complaint-receipt-deadline = Du får svar senest
complaint-receipt-promise = En av oss leser klagen og svarer deg personlig.
complaint-receipt-email = Vi sender en bekreftelse til e-postadressen din.
receipt-mail-subject = Vi har mottatt henvendelsen din [{ $reference }]
receipt-mail-body =
    Hei,

    takk for at du tok kontakt. Vi har mottatt henvendelsen din med referanse { $reference }.

    Du får et personlig svar senest { $deadline } (norsk tid).

    Vennlig hilsen
    kundeservice

privacy-title = Personvern
privacy-intro = Slik behandler { $centre } opplysninger om deg når du kontakter oss.
privacy-what-heading = Hva vi lagrer, hvorfor og hvor lenge
privacy-table-caption = Lagringstid for opplysninger
privacy-col-what = Opplysning
privacy-col-why = Hvorfor
privacy-col-how-long = Hvor lenge
privacy-dialogue = Skriftlig dialog (klager, e-post, SMS)
privacy-dialogue-why = For å svare deg og dokumentere at vi følger bransjenormen.
privacy-dialogue-how-long = Minst 6 måneder etter at saken er avsluttet, deretter slettet.
privacy-recordings = Talemeldinger du legger igjen
privacy-recordings-why = For å svare på beskjeden din. Vi sier alltid fra før opptak.
privacy-recordings-how-long = 90 dager, eller straks du trekker samtykket tilbake.
privacy-reservations = Reservasjoner
privacy-reservations-why = For at vi aldri skal ringe deg igjen.
privacy-reservations-how-long = Til du ber oss fjerne reservasjonen.
privacy-statistics = Statistikk
privacy-statistics-why = Bransjenormen krever daglig statistikk per kampanje.
privacy-statistics-how-long = 12 måneder, uten personopplysninger.
privacy-rights-heading = Dine rettigheter
privacy-right-access = Du kan be om innsyn i alt vi har lagret om deg, også opptak av deg.
privacy-right-erasure = Du kan be oss slette opplysningene, bortsett fra det loven krever at vi tar vare på.
privacy-right-object = Du kan protestere mot behandlingen og reservere deg mot flere anrop.
privacy-right-complain = Du kan klage til Datatilsynet.
privacy-contact = Skriv til oss om personvern:

error-reference = Feilreferanse
error-back-home = Tilbake til forsiden
error-notfound-title = Siden finnes ikke
error-notfound-body = Vi fant ikke siden du lette etter. Sjekk adressen, eller gå til forsiden.
error-forbidden-title = Ingen tilgang
error-forbidden-body = Du har ikke tilgang til denne siden.
error-csrf-title = Skjemaet er utløpt
error-csrf-body = Av sikkerhetshensyn kunne vi ikke ta imot skjemaet. Gå tilbake, last siden på nytt og prøv igjen. Ingenting er lagret.
error-ratelimit-title = For mange forsøk
error-ratelimit-body = Du har sendt mange forespørsler på kort tid. Vent litt og prøv igjen.
error-badrequest-title = Noe var galt med forespørselen
error-badrequest-body = Vi forsto ikke forespørselen. Gå tilbake og prøv igjen.
error-internal-title = Noe gikk galt hos oss
error-internal-body = Beklager, det oppsto en feil. Prøv igjen om litt. Oppgi feilreferansen hvis du kontakter oss.
error-invalid-title = Noe av det som ble sendt, er ikke riktig
error-invalid-body = Gå tilbake, rett feltene som er merket, og prøv igjen.
error-conflict-title = Det kan ikke gjøres nå

# search (issue 7)
clients-filter-label = Søk blant oppdragsgiverne
clients-filter-hint = Navn, kampanje, formål eller nummeret som ringte.
clients-filter-submit = Søk
clients-filter-clear = Vis alle
clients-no-match = Ingen treff. Prøv et annet ord, eller vis alle oppdragsgiverne.
search-degraded = Søket er redusert akkurat nå: vi søker direkte i listen, uten retting av skrivefeil.
