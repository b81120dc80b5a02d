/**
 * Errors of the k8s strategy, each with a stable `code`. Every one makes a
 * discover() round fail (the autocluster actor logs its message and retries
 * at the next interval); the messages say what went wrong and, where it is
 * known, what to fix (the token, the RBAC role, the service name, the CA).
 */
import { TekkaError } from '@tekka/actors'

/** No answer from the API server: connection refused, TLS refused, timeout, aborted, strategy stopped. */
export class K8sRequestError extends TekkaError {
  readonly url: string
  constructor (url: string, message: string, options?: { cause?: unknown }) {
    super(`k8s: GET ${url}: ${message}`, 'ERR_K8S_REQUEST', options)
    this.url = url
  }
}

/** The API server answered with an error status (401, 403, 404, 5xx, ...). */
export class K8sApiError extends TekkaError {
  readonly url: string
  /** The HTTP status. */
  readonly status: number
  /** The `reason` of the Kubernetes Status object (`Unauthorized`, `Forbidden`, `NotFound`), or the HTTP status text. */
  readonly reason: string
  constructor (url: string, status: number, reason: string, message: string) {
    super(`k8s: GET ${url}: ${status} ${reason}: ${message}`, 'ERR_K8S_API')
    this.url = url
    this.status = status
    this.reason = reason
  }
}

/** A successful answer that is not what the API defines: not JSON, JSON of another shape, too big. */
export class K8sResponseError extends TekkaError {
  readonly url: string
  constructor (url: string, message: string, options?: { cause?: unknown }) {
    super(`k8s: GET ${url}: ${message}`, 'ERR_K8S_RESPONSE', options)
    this.url = url
  }
}

/** The service account's token or CA file exists but cannot be read (or the CA is not usable). */
export class K8sCredentialsError extends TekkaError {
  readonly file: string
  constructor (file: string, message: string, options?: { cause?: unknown }) {
    super(`k8s: ${file}: ${message}`, 'ERR_K8S_CREDENTIALS', options)
    this.file = file
  }
}
