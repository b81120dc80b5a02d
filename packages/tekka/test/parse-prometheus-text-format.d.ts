// The parser's own package ships no types: the shape of what it returns, as its README gives it.
declare module 'parse-prometheus-text-format' {
  interface Sample { value?: string, labels?: Record<string, string>, quantiles?: Record<string, string>, count?: string, sum?: string }
  interface Family { name: string, help: string, type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED', metrics: Sample[] }
  export default function parsePrometheusTextFormat (text: string): Family[]
}
