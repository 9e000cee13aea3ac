/**
 * The maintenance-duration prediction of the original system: production figures in, predicted hours,
 * a recommendation and the model that answered out. Validation is the API's (one set of rules and
 * messages); its 400 names the field, which is marked, and its 503 says how to get a model.
 */
import { ApiError } from '../api.js';
import type { View, ViewContext } from '../context.js';
import { h, setAttr } from '../dom.js';
import { formatHours } from '../format.js';
import type { Prediction } from '../types.js';

const FIELDS = [
  {
    name: 'total_produksi',
    label: 'Total production (total_produksi)',
    help: 'pieces produced in the period',
  },
  {
    name: 'produk_cacat',
    label: 'Defective pieces (produk_cacat)',
    help: 'rejected pieces in the same period',
  },
] as const;

/** The form's text as the API's JSON: a number where it reads as one, else the text (the API says why). */
export function predictInput(values: Readonly<Record<string, string>>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    const text = raw.trim();
    if (text === '') continue;
    const n = Number(text);
    input[name] = Number.isFinite(n) ? n : text;
  }
  return input;
}

/** The fields an "Invalid input" message is about: its issues read "field: what is wrong; …". */
export function fieldsNamed(message: string): string[] {
  const named = new Set(message.split('; ').map((issue) => issue.split(':', 1)[0]?.trim()));
  return FIELDS.map((f) => f.name).filter((name) => named.has(name));
}

export function predictView(ctx: ViewContext): View {
  const inputs = FIELDS.map((f) =>
    h('input', {
      id: `predict-${f.name}`,
      name: f.name,
      type: 'number',
      inputmode: 'numeric',
      min: 0,
      step: 'any',
      'aria-describedby': `predict-${f.name}-help`,
    }),
  );
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Predict');
  const result = h('div', {
    class: 'prediction-result',
    'aria-live': 'polite',
    'data-testid': 'prediction-result',
  });
  const form = h(
    'form',
    { class: 'predict-form', novalidate: true },
    ...FIELDS.map((f, i) =>
      h(
        'div',
        { class: 'field' },
        h('label', { for: `predict-${f.name}` }, f.label),
        inputs[i] as HTMLInputElement,
        h('span', { id: `predict-${f.name}-help`, class: 'muted' }, f.help),
      ),
    ),
    submit,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });

  async function run(): Promise<void> {
    for (const input of inputs) setAttr(input, 'aria-invalid', null);
    submit.disabled = true;
    result.dataset.state = 'pending';
    result.replaceChildren(h('p', { class: 'muted' }, 'Predicting…'));
    try {
      const values = Object.fromEntries(inputs.map((i) => [i.name, i.value]));
      showPrediction(await ctx.api.predict(predictInput(values)));
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  }

  function showPrediction(p: Prediction): void {
    result.dataset.state = 'ok';
    const info = p.model_info;
    result.replaceChildren(
      h(
        'div',
        { class: 'prediction' },
        h('p', { class: 'prediction-label' }, 'Predicted maintenance duration'),
        h('p', { class: 'prediction-value', 'data-testid': 'prediction-value' }, p.prediction_formatted),
        h('p', { class: 'muted' }, `${formatHours(p.prediction)} (jam: hours)`),
        h('p', { class: 'recommendation' }, p.recommendation),
        h(
          'dl',
          { class: 'model-info' },
          h('dt', {}, 'Model'),
          h('dd', {}, info.algorithm),
          h('dt', {}, 'Version'),
          h('dd', {}, info.version),
          h('dt', {}, 'Trained on'),
          h('dd', {}, info.trained_on),
        ),
      ),
    );
  }

  function showError(error: unknown): void {
    const e = error instanceof ApiError ? error : new ApiError(-1, 'Error', String(error));
    const kind = e.status === 400 ? 'invalid' : e.status === 503 ? 'unavailable' : 'error';
    result.dataset.state = kind;
    if (kind === 'invalid') {
      for (const name of fieldsNamed(e.message)) {
        const input = inputs.find((i) => i.name === name);
        if (input !== undefined) setAttr(input, 'aria-invalid', 'true');
      }
      inputs.find((i) => i.getAttribute('aria-invalid') === 'true')?.focus();
    }
    const title =
      kind === 'invalid'
        ? 'Check the figures'
        : kind === 'unavailable'
          ? 'No prediction model available'
          : e.status === 0
            ? 'The API cannot be reached'
            : `Prediction failed (${e.title})`;
    result.replaceChildren(
      h(
        'div',
        { class: `callout ${kind === 'unavailable' ? 'warning' : 'error'}`, role: 'alert' },
        h('p', { class: 'callout-title' }, title),
        h('p', {}, e.message),
      ),
    );
  }

  const el = h(
    'div',
    { class: 'view predict-view' },
    h('h1', {}, 'Maintenance prediction'),
    h(
      'p',
      { class: 'muted intro' },
      'Predicts how long the next maintenance will take from a period’s production figures, with the Random Forest model trained on the machine’s history.',
    ),
    h(
      'div',
      { class: 'two-col' },
      h('section', { class: 'panel' }, form),
      h('section', { class: 'panel' }, result),
    ),
  );
  return { el, dispose: () => undefined };
}
