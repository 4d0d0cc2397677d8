// Synthetic chat messages for the search bench: deterministic from a seed, in
// eight languages (accents, Cyrillic and Greek included, so folding is
// exercised), spread over rooms, authors and time. Each message leans on one of
// a few topics per language, so messages share words the way a room's talk does
// and vectors built from words (devstack/scaigrid/instant-embedder.ts) cluster.

import { prng } from '../../devstack/prng.js';

const LANGUAGES: Record<string, string> = {
  en: 'meeting budget review release deploy server database customer invoice contract deadline design draft report team lunch holiday travel flight hotel weather rain coffee office remote schedule agenda sprint ticket bug feature test build pipeline cluster backup security password login account payment refund order shipping delivery warehouse stock price market sales campaign launch video audio call recording transcript summary question answer idea plan goal',
  de: 'besprechung haushalt prüfung veröffentlichung kunde rechnung vertrag frist entwurf bericht mannschaft mittagessen urlaub reise flug wetter regen kaffee büro zeitplan tagesordnung fehler funktion sicherung sicherheit passwort konto zahlung rückerstattung bestellung lieferung lager preis markt verkauf aufnahme zusammenfassung frage antwort idee ziel straße größe übung möglichkeit',
  fr: 'réunion budget révision livraison client facture contrat échéance brouillon rapport équipe déjeuner vacances voyage vol hôtel météo pluie café bureau calendrier ordre erreur fonction sauvegarde sécurité mot compte paiement remboursement commande entrepôt prix marché vente enregistrement résumé question réponse idée objectif élève fenêtre château',
  es: 'reunión presupuesto revisión lanzamiento cliente factura contrato plazo borrador informe equipo almuerzo vacaciones viaje vuelo hotel tiempo lluvia café oficina horario agenda error función copia seguridad contraseña cuenta pago reembolso pedido envío almacén precio mercado venta grabación resumen pregunta respuesta idea meta niño mañana',
  pl: 'spotkanie budżet przegląd wydanie klient faktura umowa termin szkic raport zespół obiad urlop podróż lot hotel pogoda deszcz kawa biuro harmonogram błąd funkcja kopia bezpieczeństwo hasło konto płatność zwrot zamówienie dostawa magazyn cena rynek sprzedaż nagranie podsumowanie pytanie odpowiedź pomysł cel źródło żółty',
  ru: 'встреча бюджет проверка выпуск клиент счёт договор срок черновик отчёт команда обед отпуск поездка рейс гостиница погода дождь кофе офис расписание ошибка функция копия безопасность пароль аккаунт оплата возврат заказ доставка склад цена рынок продажа запись итог вопрос ответ идея цель',
  el: 'συνάντηση προϋπολογισμός έλεγχος έκδοση πελάτης τιμολόγιο συμβόλαιο προθεσμία σχέδιο αναφορά ομάδα γεύμα διακοπές ταξίδι πτήση ξενοδοχείο καιρός βροχή καφές γραφείο πρόγραμμα σφάλμα λειτουργία ασφάλεια κωδικός λογαριασμός πληρωμή επιστροφή παραγγελία αποθήκη τιμή αγορά πώληση ερώτηση απάντηση ιδέα στόχος',
  tr: 'toplantı bütçe inceleme sürüm müşteri fatura sözleşme süre taslak rapor ekip öğle tatil seyahat uçuş otel hava yağmur kahve ofis takvim gündem hata özellik yedek güvenlik şifre hesap ödeme iade sipariş teslimat depo fiyat pazar satış kayıt özet soru cevap fikir hedef çiçek',
};

const LANGUAGE_CODES = Object.keys(LANGUAGES);
const VOCABULARY = LANGUAGE_CODES.map((code) => LANGUAGES[code]!.split(' '));
const TOPICS_PER_LANGUAGE = 6;
const TOPIC_WORDS = 8;

export interface SyntheticMessage {
  index: number;
  roomIndex: number;
  authorIndex: number;
  language: string;
  /** ms after the corpus start. */
  offsetMs: number;
  body: string;
}

export interface CorpusShape {
  seed: number;
  messages: number;
  rooms: number;
  authors: number;
}

export function* syntheticMessages(shape: CorpusShape): Generator<SyntheticMessage> {
  const rand = prng(shape.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  for (let index = 0; index < shape.messages; index++) {
    const lang = Math.floor(rand() * LANGUAGE_CODES.length);
    const words = VOCABULARY[lang]!;
    const topic = Math.floor(rand() * TOPICS_PER_LANGUAGE);
    const topicWords = Array.from({ length: TOPIC_WORDS }, (_, k) => words[(topic * TOPIC_WORDS + k * 5) % words.length]!);
    const length = 4 + Math.floor(rand() * 14);
    const body = Array.from({ length }, () => (rand() < 0.7 ? pick(topicWords) : pick(words)));
    if (rand() < 0.2) body.push(String(Math.floor(rand() * 1000)));
    body[0] = body[0]!.charAt(0).toLocaleUpperCase() + body[0]!.slice(1);
    yield {
      index,
      roomIndex: Math.floor(rand() * shape.rooms),
      authorIndex: Math.floor(rand() * shape.authors),
      language: LANGUAGE_CODES[lang]!,
      offsetMs: index * 1000 + Math.floor(rand() * 1000),
      body: `${body.join(' ')}${pick(['.', '!', '?', ''])}`,
    };
  }
}
