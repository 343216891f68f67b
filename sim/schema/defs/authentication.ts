// authentication.k8s.io/v1: TokenRequest (the serviceaccounts/token subresource),
// TokenReview and SelfSubjectReview. Create-only kinds: nothing is stored; the schema
// serves kubectl explain / OpenAPI and the decode checks of a request body.
import { bool, def, int64, list, map, obj, str, strList, time } from '../dsl.js';
import { typeMeta } from './meta.js';

const AUTHN = 'io.k8s.api.authentication.v1';
const gvk = (kind: string) => [{ group: 'authentication.k8s.io', version: 'v1', kind }];

export const userInfo = def(
  `${AUTHN}.UserInfo`,
  obj({ username: str, uid: str, groups: strList, extra: map(strList) }),
);

const boundObjectReference = def(
  `${AUTHN}.BoundObjectReference`,
  obj({ kind: str, apiVersion: str, name: str, uid: str }),
);

export const tokenRequest = def(
  `${AUTHN}.TokenRequest`,
  obj(
    {
      ...typeMeta(),
      spec: def(
        `${AUTHN}.TokenRequestSpec`,
        obj({ audiences: strList, expirationSeconds: int64, boundObjectRef: boundObjectReference }, ['audiences']),
      ),
      status: def(`${AUTHN}.TokenRequestStatus`, obj({ token: str, expirationTimestamp: time }, ['token', 'expirationTimestamp'])),
    },
    ['spec'],
  ),
  gvk('TokenRequest'),
);

export const tokenReview = def(
  `${AUTHN}.TokenReview`,
  obj(
    {
      ...typeMeta(),
      spec: def(`${AUTHN}.TokenReviewSpec`, obj({ token: str, audiences: strList })),
      status: def(
        `${AUTHN}.TokenReviewStatus`,
        obj({ authenticated: bool, user: userInfo, audiences: list(str, { listType: 'atomic' }), error: str }),
      ),
    },
    ['spec'],
  ),
  gvk('TokenReview'),
);

export const selfSubjectReview = def(
  `${AUTHN}.SelfSubjectReview`,
  obj({ ...typeMeta(), status: def(`${AUTHN}.SelfSubjectReviewStatus`, obj({ userInfo })) }),
  gvk('SelfSubjectReview'),
);
