/**
 * Settings pane: the weather provider (issue #5) and the S3 archive (issue #6),
 * which used to be environment variables or API-only fields. Each form checks
 * its values with the contract's own zod schemas before saving, shows the
 * brain's answer next to the field it names, says when it is saved, and has a
 * "Test" button. Secrets are write-only: the pane only shows whether one is set.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  ArchiveSettingsPatch,
  WEATHER_PROVIDERS,
  WeatherSettingsPatch,
  type ArchiveSettingsView,
  type SettingsPatch,
  type SettingsView,
  type WeatherProviderName,
} from '@contract';
import { useStation } from '../api/hooks';
import { errorText } from '../format';
import './settings.css';

export const settingsKeys = { all: ['settings'] as const };

const PROVIDER_LABEL: Record<WeatherProviderName, string> = {
  none: 'None (follow the sun only)',
  'open-meteo': 'Open-Meteo (no key needed)',
  openweathermap: 'OpenWeatherMap (needs an API key)',
};

const DEFAULT_SERVER: Record<WeatherProviderName, string> = {
  none: '',
  'open-meteo': 'https://api.open-meteo.com',
  openweathermap: 'https://api.openweathermap.org',
};

type FieldErrors = Record<string, string>;

/** "weather.baseUrl: must be …" (optionally "[code] " first, from IPC) → {field, message}. */
export function splitFieldError(err: unknown): { field: string | null; message: string } {
  // The raw message (errorText rewords a field path for operators; here the path places the message by its field).
  const text = (err instanceof Error ? err.message : String(err)).replace(/^\[[a-z_]+\] /, '');
  const m = /^((?:weather|archive)\.[A-Za-z]+): (.+)$/s.exec(text);
  return m ? { field: m[1]!, message: m[2]! } : { field: null, message: text };
}

/** First problem of a zod check, as {field: message} with the section prefix. */
function zodErrors(
  section: 'weather' | 'archive',
  r: { success: true } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } },
): FieldErrors {
  if (r.success) return {};
  const out: FieldErrors = {};
  for (const issue of r.error.issues) {
    const key = `${section}.${issue.path.map(String).join('.')}`;
    out[key] ??= issue.message;
  }
  return out;
}

function FieldError({ errors, field }: { errors: FieldErrors; field: string }) {
  const message = errors[field];
  if (!message) return null;
  return (
    <span className="field-error" role="alert" data-testid={`error-${field}`}>
      {message}
    </span>
  );
}

function useSaveSettings() {
  const { api } = useStation();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (patch: SettingsPatch) => api.updateSettings(patch),
    onSuccess: (view) => client.setQueryData(settingsKeys.all, view),
  });
}

/**
 * Save and Test for one section of the settings: `patchOf` gives the section's patch, or null once it showed
 * the form's errors; a refusal is shown on the field the station names, else on the section.
 */
function useSectionActions<K extends 'weather' | 'archive'>(
  section: K,
  patchOf: () => NonNullable<SettingsPatch[K]> | null,
  setErrors: (errors: FieldErrors) => void,
  test: (patch: NonNullable<SettingsPatch[K]>) => void,
  onSaved: () => void,
) {
  const save = useSaveSettings();
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    const patch = patchOf();
    if (!patch) return;
    save.mutate(
      { [section]: patch },
      {
        onSuccess: onSaved,
        onError: (err) => {
          const { field, message } = splitFieldError(err);
          setErrors({ [field ?? section]: message });
        },
      },
    );
  };
  const onTest = (): void => {
    const patch = patchOf();
    if (patch) test(patch);
  };
  return { save, onSubmit, onTest };
}

export function SettingsPane() {
  const { api } = useStation();
  const settings = useQuery({ queryKey: settingsKeys.all, queryFn: () => api.getSettings() });
  if (settings.isError) {
    return (
      <p className="error" role="alert">
        Could not load the settings: {errorText(settings.error)}
      </p>
    );
  }
  if (!settings.data) return <p className="muted">Loading settings…</p>;
  const s = settings.data;
  return (
    <div className="orch-pane settings-pane" data-testid="settings-pane">
      {s.file.problem && (
        <p className="error settings-problem" role="alert" data-testid="settings-problem">
          {s.file.problem}
        </p>
      )}
      <WeatherForm view={s} />
      <ArchiveForm archive={s.archive} />
      <p className="muted small">
        Secrets are kept{' '}
        {s.secrets === 'encrypted' ? "sealed with this computer's keychain" : 'in a file only you can read'} and never
        shown again. Settings file: <code>{s.file.path}</code>
      </p>
    </div>
  );
}

function WeatherForm({ view }: { view: SettingsView }) {
  const { api } = useStation();
  const w = view.weather;
  const [provider, setProvider] = useState<WeatherProviderName>(w.provider);
  const [baseUrl, setBaseUrl] = useState(w.baseUrl ?? '');
  const [apiKey, setApiKey] = useState('');
  const [removeKey, setRemoveKey] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState(false);
  const test = useMutation({ mutationFn: (weather: SettingsPatch['weather']) => api.testWeather({ weather }) });

  const touched = (): void => {
    setSaved(false);
    setErrors({});
    test.reset();
  };

  /** The patch for these fields, or null with the errors shown. */
  const patchOf = (): NonNullable<SettingsPatch['weather']> | null => {
    const patch: NonNullable<SettingsPatch['weather']> = {
      provider,
      baseUrl: baseUrl.trim() === '' ? null : baseUrl.trim(),
      ...(apiKey !== '' ? { apiKey } : removeKey ? { apiKey: null } : {}),
    };
    const found = zodErrors('weather', WeatherSettingsPatch.safeParse(patch));
    const keyAvailable = apiKey !== '' || (w.apiKeySet && !removeKey) || w.effective.apiKeySet;
    if (provider === 'openweathermap' && !keyAvailable) {
      found['weather.apiKey'] ??= 'OpenWeatherMap needs an API key; enter yours or choose Open-Meteo (no key).';
    }
    setErrors(found);
    return Object.keys(found).length === 0 ? patch : null;
  };

  const { save, onSubmit, onTest } = useSectionActions('weather', patchOf, setErrors, test.mutate, () => {
    setSaved(true);
    setApiKey('');
    setRemoveKey(false);
  });

  const envNote =
    w.effective.source === 'environment'
      ? `SKYSTATION_WEATHER is set in the environment: the station uses ${w.effective.provider} from there, whatever is saved here.`
      : w.environment.length > 0
        ? `From the environment when left empty here: ${w.environment.join(', ')}.`
        : null;

  return (
    <form className="orch-form column settings-form" onSubmit={onSubmit} noValidate aria-labelledby="weather-heading">
      <h3 id="weather-heading">Weather</h3>
      <p className="muted small">
        Current cloud, rain and wind for the adaptive strategies (golden hour, overcast, stormy). Asked every 15
        minutes; optional.
      </p>
      {envNote && (
        <p className="small settings-note" data-testid="weather-env">
          {envNote}
        </p>
      )}
      <label>
        Provider
        <select
          value={provider}
          data-testid="weather-provider"
          onChange={(e) => {
            setProvider(e.target.value as WeatherProviderName);
            touched();
          }}
        >
          {WEATHER_PROVIDERS.map((p) => (
            <option key={p} value={p}>
              {PROVIDER_LABEL[p]}
            </option>
          ))}
        </select>
      </label>
      {provider !== 'none' && (
        <>
          <label>
            <span>
              API key{' '}
              <span className="settings-state" data-testid="weather-apikey-state">
                {w.apiKeySet ? '(set)' : '(not set)'}
              </span>
            </span>
            <input
              type="password"
              autoComplete="off"
              value={apiKey}
              data-testid="weather-apikey"
              placeholder={
                w.apiKeySet
                  ? 'Stored; type a new key to replace it'
                  : provider === 'openweathermap'
                    ? 'Required for OpenWeatherMap'
                    : 'Optional (commercial Open-Meteo)'
              }
              aria-invalid={errors['weather.apiKey'] !== undefined}
              onChange={(e) => {
                setApiKey(e.target.value);
                touched();
              }}
            />
            <FieldError errors={errors} field="weather.apiKey" />
          </label>
          {w.apiKeySet && (
            <label className="check">
              <input
                type="checkbox"
                checked={removeKey}
                data-testid="weather-apikey-remove"
                onChange={(e) => {
                  setRemoveKey(e.target.checked);
                  touched();
                }}
              />
              Remove the stored key
            </label>
          )}
          <label>
            Server (optional)
            <input
              type="url"
              value={baseUrl}
              data-testid="weather-baseurl"
              placeholder={`default: ${DEFAULT_SERVER[provider]}`}
              aria-invalid={errors['weather.baseUrl'] !== undefined}
              onChange={(e) => {
                setBaseUrl(e.target.value);
                touched();
              }}
            />
            <FieldError errors={errors} field="weather.baseUrl" />
          </label>
        </>
      )}
      <FieldError errors={errors} field="weather.provider" />
      <FieldError errors={errors} field="weather" />
      <div className="settings-actions">
        <button type="submit" disabled={save.isPending} data-testid="weather-save">
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        {provider !== 'none' && (
          <button type="button" onClick={onTest} disabled={test.isPending} data-testid="weather-test">
            {test.isPending ? 'Testing…' : 'Test connection'}
          </button>
        )}
        {saved && (
          <span className="settings-saved" role="status" data-testid="weather-saved">
            Saved; in use now.
          </span>
        )}
      </div>
      {test.data && (
        <p className="settings-ok small" role="status" data-testid="weather-test-result">
          {test.data.provider} answered: {test.data.observation.condition}, clouds{' '}
          {test.data.observation.cloud_cover_percent ?? '—'} %, wind{' '}
          {test.data.observation.wind_speed_m_s === null ? '—' : test.data.observation.wind_speed_m_s.toFixed(1)} m/s
          (observed {new Date(test.data.observation.observed_at).toLocaleString()}).
        </p>
      )}
      {test.isError && (
        <p className="error small" role="alert" data-testid="weather-test-error">
          {splitFieldError(test.error).message}
        </p>
      )}
      {w.lastError && w.effective.provider !== 'none' && <p className="muted small">Last problem: {w.lastError}</p>}
    </form>
  );
}

interface ArchiveFields {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  uploadExports: boolean;
  uploadOriginals: boolean;
}

function archiveFields(a: ArchiveSettingsView | null): ArchiveFields {
  return {
    endpoint: a?.endpoint ?? '',
    region: a?.region ?? 'us-east-1',
    bucket: a?.bucket ?? '',
    prefix: a?.prefix ?? 'skystation/',
    accessKeyId: a?.accessKeyId ?? '',
    secretAccessKey: '',
    forcePathStyle: a?.forcePathStyle ?? false,
    uploadExports: a?.uploadExports ?? false,
    uploadOriginals: a?.uploadOriginals ?? false,
  };
}

function ArchiveForm({ archive }: { archive: ArchiveSettingsView | null }) {
  const { api } = useStation();
  const [f, setF] = useState<ArchiveFields>(() => archiveFields(archive));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState<string | null>(null);
  const test = useMutation({ mutationFn: (a: SettingsPatch['archive']) => api.testArchive({ archive: a ?? {} }) });

  const set = <K extends keyof ArchiveFields>(key: K, value: ArchiveFields[K]): void => {
    setF((old) => ({ ...old, [key]: value }));
    setSaved(null);
    setErrors({});
    test.reset();
  };

  const patchOf = (): NonNullable<SettingsPatch['archive']> | null => {
    const patch: NonNullable<SettingsPatch['archive']> = {
      endpoint: f.endpoint.trim() === '' ? null : f.endpoint.trim(),
      region: f.region.trim(),
      bucket: f.bucket.trim(),
      prefix: f.prefix.trim(),
      accessKeyId: f.accessKeyId.trim(),
      ...(f.secretAccessKey !== '' ? { secretAccessKey: f.secretAccessKey } : {}),
      forcePathStyle: f.forcePathStyle,
      uploadExports: f.uploadExports,
      uploadOriginals: f.uploadOriginals,
    };
    const found = zodErrors('archive', ArchiveSettingsPatch.safeParse(patch));
    if (f.bucket.trim() === '') found['archive.bucket'] ??= 'Enter the bucket name.';
    if (f.accessKeyId.trim() === '') found['archive.accessKeyId'] ??= 'Enter the access key id.';
    if (f.secretAccessKey === '' && !archive?.secretAccessKeySet) {
      found['archive.secretAccessKey'] ??= 'Enter the secret access key.';
    }
    setErrors(found);
    return Object.keys(found).length === 0 ? patch : null;
  };

  const { save, onSubmit, onTest } = useSectionActions('archive', patchOf, setErrors, test.mutate, () => {
    setSaved('Saved; exports use it now.');
    setF((old) => ({ ...old, secretAccessKey: '' }));
  });

  const onRemove = (): void => {
    save.mutate(
      { archive: null },
      {
        onSuccess: () => {
          setF(archiveFields(null));
          setSaved('Archive settings removed.');
        },
        onError: (err) => setErrors({ archive: splitFieldError(err).message }),
      },
    );
  };

  const text = (key: 'endpoint' | 'region' | 'bucket' | 'prefix' | 'accessKeyId', label: string, hint = '') => (
    <label>
      {label}
      <input
        type={key === 'endpoint' ? 'url' : 'text'}
        value={f[key]}
        placeholder={hint}
        data-testid={`archive-${key}`}
        aria-invalid={errors[`archive.${key}`] !== undefined}
        onChange={(e) => set(key, e.target.value)}
      />
      <FieldError errors={errors} field={`archive.${key}`} />
    </label>
  );
  const check = (key: 'forcePathStyle' | 'uploadExports' | 'uploadOriginals', label: string) => (
    <label className="check">
      <input
        type="checkbox"
        checked={f[key]}
        data-testid={`archive-${key}`}
        onChange={(e) => set(key, e.target.checked)}
      />
      {label}
    </label>
  );

  return (
    <form className="orch-form column settings-form" onSubmit={onSubmit} noValidate aria-labelledby="archive-heading">
      <h3 id="archive-heading">S3 archive</h3>
      <p className="muted small">
        Finished exports, and optionally the original images, uploaded to an S3-compatible bucket (AWS, MinIO, Garage…).
        Interrupted uploads continue where they stopped.
      </p>
      <div className="settings-grid">
        {text('endpoint', 'Endpoint', 'empty for AWS; e.g. https://minio.example.com:9000')}
        {text('region', 'Region', 'us-east-1')}
        {text('bucket', 'Bucket', 'my-sky-archive')}
        {text('prefix', 'Prefix', 'skystation/')}
        {text('accessKeyId', 'Access key id')}
        <label>
          <span>
            Secret access key{' '}
            <span className="settings-state" data-testid="archive-secret-state">
              {archive?.secretAccessKeySet ? '(set)' : '(not set)'}
            </span>
          </span>
          <input
            type="password"
            autoComplete="off"
            value={f.secretAccessKey}
            data-testid="archive-secretAccessKey"
            placeholder={archive?.secretAccessKeySet ? 'Stored; type a new one to replace it' : ''}
            aria-invalid={errors['archive.secretAccessKey'] !== undefined}
            onChange={(e) => set('secretAccessKey', e.target.value)}
          />
          <FieldError errors={errors} field="archive.secretAccessKey" />
        </label>
      </div>
      <div>
        {check('forcePathStyle', 'Path-style addresses (most self-hosted servers)')}
        {check('uploadExports', 'Upload finished exports automatically')}
        {check('uploadOriginals', 'Also upload the originals')}
      </div>
      <FieldError errors={errors} field="archive" />
      <div className="settings-actions">
        <button type="submit" disabled={save.isPending} data-testid="archive-save">
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={onTest} disabled={test.isPending} data-testid="archive-test">
          {test.isPending ? 'Testing…' : 'Test'}
        </button>
        {archive && (
          <button type="button" onClick={onRemove} disabled={save.isPending} data-testid="archive-remove">
            Remove
          </button>
        )}
        {saved && (
          <span className="settings-saved" role="status" data-testid="archive-saved">
            {saved}
          </span>
        )}
      </div>
      {test.data && (
        <p className="settings-ok small" role="status" data-testid="archive-test-result">
          Bucket {test.data.bucket} is reachable and these keys can list it: {test.data.objects}
          {test.data.truncated ? '+' : ''} object(s) under “{test.data.prefix}”.
        </p>
      )}
      {test.isError && (
        <p className="error small" role="alert" data-testid="archive-test-error">
          {splitFieldError(test.error).message}
        </p>
      )}
    </form>
  );
}
